// CHDF5 shim: the HDF5 C API, plus accessors for the macros Swift cannot import.
//
// Many HDF5 "constants" are macros that expand to a function call and a global, e.g.
// `#define H5T_NATIVE_FLOAT (H5OPEN H5T_NATIVE_FLOAT_g)`: H5OPEN initialises the library and
// the global holds an identifier that only exists at run time. Others are cast expressions such
// as `((size_t)(-1))`. Swift's Clang importer skips both kinds, so each one the HDF5 module needs
// is exposed here as a prefixed `static inline` function with the same meaning.
// One function, `h5shim_link_type`, also hides an API difference between HDF5 1.10 and 1.12+.
#ifndef H5TRAIN_CHDF5_SHIM_H
#define H5TRAIN_CHDF5_SHIM_H

#include <hdf5.h>

// MARK: Default and special identifiers

/// H5P_DEFAULT: the default property list.
static inline hid_t h5shim_p_default(void) { return H5P_DEFAULT; }
/// H5S_ALL: the whole dataspace (in H5Dread/H5Dwrite).
static inline hid_t h5shim_s_all(void) { return H5S_ALL; }
/// H5E_DEFAULT: the library's default error stack.
static inline hid_t h5shim_e_default(void) { return H5E_DEFAULT; }
/// H5S_UNLIMITED: the maximum-size value for an extendible dimension.
static inline hsize_t h5shim_s_unlimited(void) { return H5S_UNLIMITED; }
/// H5T_VARIABLE: the size of a variable-length string type.
static inline size_t h5shim_t_variable(void) { return H5T_VARIABLE; }

// MARK: File access flags

/// H5F_ACC_RDONLY: open an existing file read-only.
static inline unsigned h5shim_f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
/// H5F_ACC_RDWR: open an existing file for reading and writing.
static inline unsigned h5shim_f_acc_rdwr(void) { return H5F_ACC_RDWR; }
/// H5F_ACC_TRUNC: create a file, truncating any existing one.
static inline unsigned h5shim_f_acc_trunc(void) { return H5F_ACC_TRUNC; }
/// H5F_ACC_EXCL: create a file, failing if it already exists.
static inline unsigned h5shim_f_acc_excl(void) { return H5F_ACC_EXCL; }

/// H5F_OBJ_ALL: every kind of object, for H5Fget_obj_count (also used as "all files").
static inline unsigned h5shim_f_obj_all(void) { return H5F_OBJ_ALL; }

// MARK: Property list classes

/// H5P_DATASET_CREATE: class of dataset-creation property lists (chunking, filters).
static inline hid_t h5shim_p_dataset_create(void) { return H5P_DATASET_CREATE; }
/// H5P_FILE_ACCESS: class of file-access property lists.
static inline hid_t h5shim_p_file_access(void) { return H5P_FILE_ACCESS; }
/// H5P_LINK_CREATE: class of link-creation property lists (intermediate groups).
static inline hid_t h5shim_p_link_create(void) { return H5P_LINK_CREATE; }

// MARK: Native (in-memory) types

/// H5T_NATIVE_FLOAT: C `float`.
static inline hid_t h5shim_native_float(void) { return H5T_NATIVE_FLOAT; }
/// H5T_NATIVE_DOUBLE: C `double`.
static inline hid_t h5shim_native_double(void) { return H5T_NATIVE_DOUBLE; }
/// H5T_NATIVE_INT8: `int8_t`.
static inline hid_t h5shim_native_int8(void) { return H5T_NATIVE_INT8; }
/// H5T_NATIVE_INT16: `int16_t`.
static inline hid_t h5shim_native_int16(void) { return H5T_NATIVE_INT16; }
/// H5T_NATIVE_INT32: `int32_t`.
static inline hid_t h5shim_native_int32(void) { return H5T_NATIVE_INT32; }
/// H5T_NATIVE_INT64: `int64_t`.
static inline hid_t h5shim_native_int64(void) { return H5T_NATIVE_INT64; }
/// H5T_NATIVE_UINT8: `uint8_t`.
static inline hid_t h5shim_native_uint8(void) { return H5T_NATIVE_UINT8; }
/// H5T_NATIVE_UINT16: `uint16_t`.
static inline hid_t h5shim_native_uint16(void) { return H5T_NATIVE_UINT16; }
/// H5T_NATIVE_UINT32: `uint32_t`.
static inline hid_t h5shim_native_uint32(void) { return H5T_NATIVE_UINT32; }
/// H5T_NATIVE_UINT64: `uint64_t`.
static inline hid_t h5shim_native_uint64(void) { return H5T_NATIVE_UINT64; }

// MARK: Standard (file) types with an explicit byte order

/// H5T_STD_I8LE: little-endian int8.
static inline hid_t h5shim_std_i8le(void) { return H5T_STD_I8LE; }
/// H5T_STD_I16LE: little-endian int16.
static inline hid_t h5shim_std_i16le(void) { return H5T_STD_I16LE; }
/// H5T_STD_I32LE: little-endian int32.
static inline hid_t h5shim_std_i32le(void) { return H5T_STD_I32LE; }
/// H5T_STD_I64LE: little-endian int64.
static inline hid_t h5shim_std_i64le(void) { return H5T_STD_I64LE; }
/// H5T_STD_U8LE: little-endian uint8.
static inline hid_t h5shim_std_u8le(void) { return H5T_STD_U8LE; }
/// H5T_STD_U16LE: little-endian uint16.
static inline hid_t h5shim_std_u16le(void) { return H5T_STD_U16LE; }
/// H5T_STD_U32LE: little-endian uint32.
static inline hid_t h5shim_std_u32le(void) { return H5T_STD_U32LE; }
/// H5T_STD_U64LE: little-endian uint64.
static inline hid_t h5shim_std_u64le(void) { return H5T_STD_U64LE; }
/// H5T_IEEE_F32LE: little-endian IEEE float32.
static inline hid_t h5shim_ieee_f32le(void) { return H5T_IEEE_F32LE; }
/// H5T_IEEE_F64LE: little-endian IEEE float64.
static inline hid_t h5shim_ieee_f64le(void) { return H5T_IEEE_F64LE; }

/// H5T_STD_I8BE: big-endian int8.
static inline hid_t h5shim_std_i8be(void) { return H5T_STD_I8BE; }
/// H5T_STD_I16BE: big-endian int16.
static inline hid_t h5shim_std_i16be(void) { return H5T_STD_I16BE; }
/// H5T_STD_I32BE: big-endian int32.
static inline hid_t h5shim_std_i32be(void) { return H5T_STD_I32BE; }
/// H5T_STD_I64BE: big-endian int64.
static inline hid_t h5shim_std_i64be(void) { return H5T_STD_I64BE; }
/// H5T_STD_U8BE: big-endian uint8.
static inline hid_t h5shim_std_u8be(void) { return H5T_STD_U8BE; }
/// H5T_STD_U16BE: big-endian uint16.
static inline hid_t h5shim_std_u16be(void) { return H5T_STD_U16BE; }
/// H5T_STD_U32BE: big-endian uint32.
static inline hid_t h5shim_std_u32be(void) { return H5T_STD_U32BE; }
/// H5T_STD_U64BE: big-endian uint64.
static inline hid_t h5shim_std_u64be(void) { return H5T_STD_U64BE; }
/// H5T_IEEE_F32BE: big-endian IEEE float32.
static inline hid_t h5shim_ieee_f32be(void) { return H5T_IEEE_F32BE; }
/// H5T_IEEE_F64BE: big-endian IEEE float64.
static inline hid_t h5shim_ieee_f64be(void) { return H5T_IEEE_F64BE; }

/// H5T_C_S1: a one-byte C string type; copy it and set the size to make string types.
static inline hid_t h5shim_t_c_s1(void) { return H5T_C_S1; }

// MARK: Version bridges

/// The link type (H5L_TYPE_HARD, H5L_TYPE_SOFT, H5L_TYPE_EXTERNAL) of `name` relative to `loc`,
/// or -1 on failure. H5Lget_info takes an H5L_info_t in 1.10 but is a macro for H5Lget_info2
/// (with H5L_info2_t) from 1.12 on; this works with either.
static inline int h5shim_link_type(hid_t loc, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5L_info2_t info;
    if (H5Lget_info2(loc, name, &info, H5P_DEFAULT) < 0) return -1;
#else
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return -1;
#endif
    return (int)info.type;
}

#endif
