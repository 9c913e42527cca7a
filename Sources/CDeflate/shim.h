// CDeflate shim: libdeflate, a fast whole-buffer DEFLATE decompressor. The HDF5 module inflates
// gzip-compressed chunks with it (two to three times faster than zlib, which HDF5 itself uses).
#ifndef H5TRAIN_CDEFLATE_SHIM_H
#define H5TRAIN_CDEFLATE_SHIM_H

#include <libdeflate.h>

#endif
