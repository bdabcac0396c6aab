import ArrayFormats
import Foundation

/// Reading source files whole, with errors that name the path.
enum SourceFile {
    /// Files larger than this are refused before reading (no dataset source here comes close).
    static let maxFileBytes = 8 << 30
    /// Decompressed `.gz` contents are capped here, whatever the stream says.
    static let maxInflatedBytes = 8 << 30

    enum Kind { case missing, file, folder, other }

    static func kind(of path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .folder
        default: return .other
        }
    }

    /// The bytes of a regular file.
    static func read(_ path: String) throws -> [UInt8] {
        switch kind(of: path) {
        case .missing: throw DatasetError.notFound(path: path)
        case .folder: throw DatasetError.unreadable(path: path, reason: "is a folder, expected a file")
        case .other: throw DatasetError.unreadable(path: path, reason: "not a regular file")
        case .file: break
        }
        let file = try ReadOnlyFile(path: path) { DatasetError.unreadable(path: path, reason: $0) }
        defer { file.close() }
        guard file.size <= maxFileBytes else {
            throw DatasetError.unreadable(path: path, reason: "\(file.size) bytes exceeds the \(maxFileBytes)-byte limit")
        }
        return try file.read(at: 0, count: file.size)
    }

    /// The bytes of a file, inflated when it starts with the gzip magic number (whatever its name).
    static func readInflating(_ path: String) throws -> [UInt8] {
        let bytes = try read(path)
        guard Gzip.isGzip(bytes) else { return bytes }
        do {
            return try Gzip.decompress(bytes, limit: maxInflatedBytes)
        } catch .gzip(let problem) {
            throw DatasetError.corruptGzip(file: path, problem)
        }
    }

    /// Names of the entries of a folder, sorted, without hidden entries.
    static func listFolder(_ path: String) throws -> [String] {
        switch kind(of: path) {
        case .missing: throw DatasetError.notFound(path: path)
        case .folder: break
        default: throw DatasetError.unreadable(path: path, reason: "not a folder")
        }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
        } catch {
            throw DatasetError.unreadable(path: path, reason: "cannot list the folder")
        }
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
