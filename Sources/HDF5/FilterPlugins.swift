import CHDF5
import Foundation

/// A compression filter HDF5 loads from a plugin, as h5py and PyTorch users write them.
struct CompressionFilter: Equatable {
    /// The filter's registered HDF5 identifier, e.g. 32000 for LZF.
    let id: Int
    /// Its usual name.
    let name: String
    /// The Debian/Ubuntu package that installs its plugin where HDF5 looks, if there is one.
    let debianPackage: String?
    /// The `tools/install-deps` option that installs that package ("" when it always does).
    var installDepsOption: String {
        ["hdf5-plugin-lzf", "hdf5-filter-plugin", "hdf5-filter-plugin-blosc-serial"].contains(debianPackage ?? "")
            ? "" : " --all-filters"
    }

    /// The filters of the HDF Group's registry that h5py, PyTorch and hdf5plugin users meet.
    static let known: [CompressionFilter] = [
        CompressionFilter(id: 305, name: "LZO", debianPackage: nil),
        CompressionFilter(id: 307, name: "BZip2", debianPackage: "hdf5-filter-plugin"),
        CompressionFilter(id: 32000, name: "LZF", debianPackage: "hdf5-plugin-lzf"),
        CompressionFilter(id: 32001, name: "Blosc", debianPackage: "hdf5-filter-plugin-blosc-serial"),
        CompressionFilter(id: 32004, name: "LZ4", debianPackage: "hdf5-filter-plugin"),
        CompressionFilter(id: 32008, name: "Bitshuffle", debianPackage: "bitshuffle"),
        CompressionFilter(id: 32013, name: "ZFP", debianPackage: "hdf5-filter-plugin-zfp-serial"),
        CompressionFilter(id: 32014, name: "FPZip", debianPackage: nil),
        CompressionFilter(id: 32015, name: "Zstandard", debianPackage: nil),
        CompressionFilter(id: 32017, name: "SZ", debianPackage: nil),
        CompressionFilter(id: 32024, name: "SZ3", debianPackage: nil),
        CompressionFilter(id: 32026, name: "Blosc2", debianPackage: nil),
    ]

    /// The known filter with `id`, or one named `storedName` (the name the file records).
    static func identified(_ id: Int, storedName: String) -> CompressionFilter {
        known.first { $0.id == id }
            ?? CompressionFilter(id: id, name: storedName.isEmpty ? "unnamed" : storedName, debianPackage: nil)
    }

    /// What to do about the filter being unavailable, as the end of one sentence.
    var remedy: String {
        if let debianPackage {
            return "install the Debian package \(debianPackage) (tools/install-deps\(installDepsOption) does)"
        }
        return "install an HDF5 plugin for it and set HDF5_PLUGIN_PATH to its folder"
    }
}

/// Where HDF5 finds filter plugins, and what to say when one is missing.
enum FilterPlugins {
    /// Folders where Debian and Ubuntu packages install HDF5 plugins for the serial library,
    /// e.g. /usr/lib/x86_64-linux-gnu/hdf5/serial/plugins, that exist on this machine.
    static func debianFolders() -> [String] {
        let libraries = "/usr/lib"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: libraries)) ?? []
        return entries.sorted().map { "\(libraries)/\($0)/hdf5/serial/plugins" }.filter(isFolder)
    }

    /// Prepares HDF5's plugin search path: drops folders that do not exist (HDF5 1.10 gives up
    /// the whole search, "can't open directory", at the first one, e.g. its default folder when
    /// no plugin package is installed, or a stale `HDF5_PLUGIN_PATH` entry), and appends the
    /// Debian plugin folders (HDF5's default there, but `HDF5_PLUGIN_PATH` replaces the
    /// default). Also loads liblzf so that Debian's LZF plugin, which uses it without declaring
    /// it, can be loaded.
    static func configure() {
        let context = Context(file: "", object: "")
        let current = searchPath()
        for (index, folder) in current.enumerated().reversed() where !isFolder(folder) {
            _ = try? check("H5PLremove", H5PLremove(UInt32(index)), context)
        }
        for folder in debianFolders() where !current.contains(folder) {
            _ = try? check("H5PLappend", H5PLappend(folder), context)
        }
        #if os(Linux)
        // Debian's liblzf_filter.so calls lzf_compress/lzf_decompress but is not linked against
        // liblzf, so dlopen fails with "undefined symbol: lzf_decompress" unless liblzf is
        // already loaded with global symbols. Nothing happens if liblzf1 is not installed.
        _ = dlopen("liblzf.so.1", RTLD_NOW | RTLD_GLOBAL)
        #endif
    }

    /// Whether `path` is an existing folder.
    private static func isFolder(_ path: String) -> Bool {
        var isFolder: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && isFolder.boolValue
    }

    /// The folders HDF5 searches for plugins, in order.
    static func searchPath() -> [String] {
        let context = Context(file: "", object: "")
        var count: UInt32 = 0
        guard (try? check("H5PLsize", H5PLsize(&count), context)) != nil else { return [] }
        return (0..<count).compactMap { index in
            guard let length = try? check("H5PLget", H5PLget(index, nil, 0), context) else { return nil }
            var buffer = [CChar](repeating: 0, count: length + 1)
            guard (try? check("H5PLget", H5PLget(index, &buffer, buffer.count), context)) != nil else { return nil }
            return decodeCString(buffer)
        }
    }

    /// The first filter in the pipeline of `dataset` that HDF5 cannot load, if any.
    static func unavailableFilter(in dataset: hid_t, _ context: Context) -> CompressionFilter? {
        guard let list = try? check("H5Dget_create_plist", H5Dget_create_plist(dataset), context) else { return nil }
        defer { H5Pclose(list) }
        guard let count = try? check("H5Pget_nfilters", H5Pget_nfilters(list), context) else { return nil }
        for index in 0..<UInt32(count) {
            var flags: UInt32 = 0, valueCount = 0, configuration: UInt32 = 0
            var name = [CChar](repeating: 0, count: 256)
            guard let id = try? check("H5Pget_filter2", H5Pget_filter2(
                list, index, &flags, &valueCount, nil, name.count, &name, &configuration), context) else { continue }
            let available = try? check("H5Zfilter_avail", H5Zfilter_avail(id), context)
            if available == 0 {
                return CompressionFilter.identified(Int(id), storedName: decodeCString(name))
            }
        }
        return nil
    }
}
