import CHDF5

/// A place objects can be looked up from: an open file or group. Holds a borrowed identifier;
/// the `File` or `Group` that owns it keeps it open. All paths passed to HDF5 are absolute.
struct Location {
    /// The file or group identifier.
    let id: hid_t
    /// Absolute path of this group in the file ("/" for the root).
    let name: String
    /// The file path, for error messages.
    let file: String
    /// The open file, which groups and datasets opened from here keep alive.
    let owner: File

    var context: Context { Context(file: file, object: name) }

    /// `relative` resolved against this group and normalised: "a//b/./c" → "/g/a/b/c".
    func absolute(_ relative: String) -> String {
        let base = relative.hasPrefix("/") ? [] : name.split(separator: "/")
        let parts = base + relative.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether an object exists at the absolute `path` (every link on the way must exist too).
    func contains(_ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/") {
            prefix += "/" + part
            guard let exists = try? check("H5Lexists", H5Lexists(id, prefix, h5shim_p_default()), context),
                  exists > 0 else { return false }
        }
        guard !prefix.isEmpty else { return true }  // the root
        let resolves = try? check("H5Oexists_by_name", H5Oexists_by_name(id, prefix, h5shim_p_default()), context)
        return (resolves ?? 0) > 0
    }

    /// The kind of object at the absolute `path` (H5I_GROUP, H5I_DATASET, …), nil if none.
    func objectType(_ path: String) -> H5I_type_t? {
        guard contains(path),
              let object = try? check("H5Oopen", H5Oopen(id, path, h5shim_p_default()), context.at(path))
        else { return nil }
        defer { H5Oclose(object) }
        return try? H5I_type_t(rawValue: check("H5Iget_type", H5Iget_type(object).rawValue, context.at(path)))
    }

    /// Opens the dataset at `relative`; a missing one (or a group) throws `.datasetNotFound`.
    func dataset(_ relative: String) throws(HDF5Error) -> Dataset {
        let path = absolute(relative)
        let type = objectType(path)
        guard type == H5I_DATASET else {
            let available = (try? datasetPaths(under: "/")) ?? []
            let detail = type == H5I_GROUP ? "'\(path)' is a group, not a dataset" : "no object at '\(path)'"
            throw context.at(path).error(.datasetNotFound(available: available), "H5Dopen2", detail)
        }
        let dataset = try check("H5Dopen2", H5Dopen2(id, path, h5shim_p_default()), context.at(path))
        return try Dataset(adopting: dataset, path: path, file: file, owner: owner)
    }

    /// Opens the group at `relative`.
    func group(_ relative: String) throws(HDF5Error) -> Group {
        let path = absolute(relative)
        let type = objectType(path)
        guard type == H5I_GROUP else {
            let detail = type == nil ? "no group at '\(path)'" : "'\(path)' is not a group"
            throw context.at(path).error(.library, "H5Gopen2", detail)
        }
        let group = try check("H5Gopen2", H5Gopen2(id, path, h5shim_p_default()), context.at(path))
        return Group(adopting: group, name: path, file: file, owner: owner)
    }

    /// Opens the group at `relative`, creating it and any missing parents first.
    func createGroup(_ relative: String) throws(HDF5Error) -> Group {
        let path = absolute(relative)
        if objectType(path) == H5I_GROUP { return try group(path) }
        let linkCreation = try intermediateGroupLinkCreation(context.at(path))
        defer { H5Pclose(linkCreation) }
        let group = try check("H5Gcreate2", H5Gcreate2(id, path, linkCreation, h5shim_p_default(),
                                                      h5shim_p_default()), context.at(path))
        return Group(adopting: group, name: path, file: file, owner: owner)
    }

    /// Names of the links in this group, sorted by name.
    func childNames() throws(HDF5Error) -> [String] {
        var info = H5G_info_t()
        try check("H5Gget_info", H5Gget_info(id, &info), context)
        var names: [String] = []
        for index in 0..<info.nlinks {
            let length = try check("H5Lget_name_by_idx", H5Lget_name_by_idx(
                id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, h5shim_p_default()), context)
            var buffer = [CChar](repeating: 0, count: length + 1)
            try check("H5Lget_name_by_idx", H5Lget_name_by_idx(
                id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, h5shim_p_default()), context)
            names.append(decodeCString(buffer))
        }
        return names
    }

    /// Absolute paths of all datasets at or below the group `path`, reached through hard links
    /// (soft and external links are not followed, so cycles cannot occur), sorted.
    func datasetPaths(under path: String) throws(HDF5Error) -> [String] {
        var found: [String] = []
        let start = try group(path)
        try withExtendedLifetime(start) { () throws(HDF5Error) in
            try collectDatasets(in: start.location, into: &found)
        }
        return found.sorted()
    }

    private func collectDatasets(in group: Location, into found: inout [String]) throws(HDF5Error) {
        for child in try group.childNames() {
            let path = group.absolute(child)
            guard h5shim_link_type(group.id, child) == H5L_TYPE_HARD.rawValue else {
                H5Eclear2(h5shim_e_default())
                continue
            }
            let object = try check("H5Oopen", H5Oopen(group.id, child, h5shim_p_default()), context.at(path))
            defer { H5Oclose(object) }
            let type = try check("H5Iget_type", H5Iget_type(object).rawValue, context.at(path))
            if type == H5I_DATASET.rawValue {
                found.append(path)
            } else if type == H5I_GROUP.rawValue {
                try collectDatasets(in: Location(id: object, name: path, file: file, owner: owner), into: &found)
            }
        }
    }
}

/// A new link-creation property list that creates missing intermediate groups. Caller closes it.
func intermediateGroupLinkCreation(_ context: Context) throws(HDF5Error) -> hid_t {
    let list = try check("H5Pcreate", H5Pcreate(h5shim_p_link_create()), context)
    do {
        try check("H5Pset_create_intermediate_group", H5Pset_create_intermediate_group(list, 1), context)
    } catch {
        H5Pclose(list)
        throw error
    }
    return list
}

/// The text before the first NUL in `buffer`, decoded as UTF-8.
func decodeCString<C: Collection<CChar>>(_ buffer: C) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
