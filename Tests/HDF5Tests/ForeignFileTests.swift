import CHDF5
import HDF5
@testable import HDF5
import XCTest

/// Layouts this module does not write itself but other programs (h5py, C tools) do:
/// compound records, fixed-length strings, soft links. Built with the raw C API.
final class ForeignFileTests: TemporaryFileTestCase {
    /// Writes a file with the C API: a compound dataset "/records", fixed-length string
    /// datasets "/padded" (null padded) and "/spaced" (space padded), a fixed-length string
    /// attribute "label" on the root, and a soft link "/alias" → "/padded".
    private func writeForeignFile() throws -> String {
        let path = temporaryPath()
        initialiseLibrary()
        let file = H5Fcreate(path, h5shim_f_acc_trunc(), h5shim_p_default(), h5shim_p_default())
        XCTAssertGreaterThanOrEqual(file, 0)
        defer { H5Fclose(file) }

        // Compound {int32 a; float64 b}, two records.
        let record = H5Tcreate(H5T_COMPOUND, 16)
        defer { H5Tclose(record) }
        H5Tinsert(record, "a", 0, h5shim_native_int32())
        H5Tinsert(record, "b", 8, h5shim_native_double())
        var dims: [hsize_t] = [2]
        let space = H5Screate_simple(1, &dims, nil)
        defer { H5Sclose(space) }
        let records = H5Dcreate2(file, "records", record, space, h5shim_p_default(), h5shim_p_default(),
                                 h5shim_p_default())
        H5Dclose(records)

        // Fixed-length strings of 6 bytes.
        for (name, padding, bytes) in [("padded", H5T_STR_NULLPAD, "cat\0\0\0mouse\0"),
                                       ("spaced", H5T_STR_SPACEPAD, "cat   mouse ")] {
            let type = H5Tcopy(h5shim_t_c_s1())
            H5Tset_size(type, 6)
            H5Tset_strpad(type, padding)
            let dataset = H5Dcreate2(file, name, type, space, h5shim_p_default(), h5shim_p_default(),
                                     h5shim_p_default())
            XCTAssertGreaterThanOrEqual(H5Dwrite(dataset, type, h5shim_s_all(), h5shim_s_all(),
                                                 h5shim_p_default(), Array(bytes.utf8)), 0)
            H5Dclose(dataset)
            H5Tclose(type)
        }

        // Fixed-length, null-terminated string attribute "label" = "digits".
        let labelType = H5Tcopy(h5shim_t_c_s1())
        H5Tset_size(labelType, 7)
        let scalar = H5Screate(H5S_SCALAR)
        let attribute = H5Acreate2(file, "label", labelType, scalar, h5shim_p_default(), h5shim_p_default())
        XCTAssertGreaterThanOrEqual(H5Awrite(attribute, labelType, Array("digits\0".utf8)), 0)
        H5Aclose(attribute)
        H5Sclose(scalar)
        H5Tclose(labelType)

        H5Lcreate_soft("/padded", file, "alias", h5shim_p_default(), h5shim_p_default())
        return path
    }

    func testCompoundDatasetIsNotNumeric() throws {
        let file = try File.open(try writeForeignFile())
        let records = try file.dataset("records")
        XCTAssertEqual(records.elementType, .compound)
        let error = expectHDF5Error { try records.read(Float.self) }
        XCTAssertEqual(error?.kind, .unsupportedType("compound"))
        XCTAssertTrue(error?.description.hasSuffix("/records holds compound records; expected a numeric dataset")
                      ?? false, error?.description ?? "")
    }

    func testFixedLengthStrings() throws {
        let file = try File.open(try writeForeignFile())
        XCTAssertEqual(try file.dataset("padded").readStrings(), ["cat", "mouse"])
        XCTAssertEqual(try file.dataset("spaced").readStrings(), ["cat", "mouse"])
        XCTAssertEqual(try file.root.stringAttribute("label"), "digits")
        XCTAssertEqual(expectHDF5Error { try file.dataset("spaced").read(Float.self) }?.kind,
                       .unsupportedType("string"))
    }

    func testSoftLinksResolveButAreNotListedTwice() throws {
        let file = try File.open(try writeForeignFile())
        XCTAssertEqual(try file.datasetPaths(), ["/padded", "/records", "/spaced"])
        XCTAssertTrue(file.contains("alias"))
        XCTAssertEqual(try file.dataset("alias").readStrings(), ["cat", "mouse"])
        XCTAssertEqual(try file.root.childNames(), ["alias", "padded", "records", "spaced"])
    }
}
