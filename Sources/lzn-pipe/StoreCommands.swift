import ArgumentParser
import Foundation
import Store

/// The `--store` option every store command shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The store file (default: $LZN_STORE, else .lzn/store.sqlite).")
    var store: String?

    var path: String { Store.resolvePath(option: store) }

    func open() throws -> Store { try Store.open(path) }

    /// For commands that only look: refuses a missing store instead of creating one, and writes nothing.
    func openForReading() throws -> Store { try Store.openForReading(path) }
}

extension ArtifactKind: ExpressibleByArgument {}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List artifacts, oldest first.")

    @OptionGroup var options: StoreOptions
    @Option(help: "Only this kind: \(ArtifactKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var kind: ArtifactKind?

    func run() throws {
        let store = try options.openForReading()
        let rows = try store.artifacts(kind: kind).map { a -> [SQLValue] in
            let type = a.dtype.map { "\($0.rawValue) \(a.shape ?? [])" } ?? a.mediaType
            return [.text(a.id.short), .text(a.kind.rawValue), .text(a.name), .text(type),
                    .text(formatBytes(a.size)), .text(a.createdAt)]
        }
        print(QueryResult(columns: ["id", "kind", "name", "type", "size", "created"], rows: rows).table(), terminator: "")
    }
}

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Describe an artifact and its lineage.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "Artifact id, unique id prefix, or name.") var artifact: String

    func run() throws {
        let store = try options.openForReading()
        let a = try store.resolve(artifact)
        var lines = [
            "id:          \(a.id)", "kind:        \(a.kind.rawValue)", "name:        \(a.name)",
            "blob:        \(a.blob) (\(formatBytes(a.size)))", "media type:  \(a.mediaType)",
        ]
        if let dtype = a.dtype { lines.append("tensor:      \(dtype.rawValue) \(a.shape ?? [])") }
        lines.append("created:     \(a.createdAt)")
        lines.append("metadata:    \(a.metadata.text)")
        let members = try store.bundleMembers(a.id)
        if !members.isEmpty {
            lines.append("members:")
            lines += members.map { "  \($0.name)  \($0.dtype.rawValue) \($0.shape)" }
        }
        for run in try store.producers(of: a.id) {
            lines.append("produced by: stage run \(run.id) (\(run.stage), \(run.status.rawValue), signature \(run.signature.prefix(12)))")
        }
        print(lines.joined(separator: "\n"))
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an artifact to a file: tensors as .npy, images and text as their bytes.",
        discussion: "Bundles and datasets export their JSON document, or one tensor with --member.")

    @OptionGroup var options: StoreOptions
    @Argument(help: "Artifact id, unique id prefix, or name.") var artifact: String
    @Option(help: "The file to write.") var out: String
    @Option(help: "For bundles and datasets: the member tensor to export as .npy.") var member: String?

    func run() throws {
        let store = try options.openForReading()
        let a = try store.resolve(artifact)
        try store.export(a.id, member: member, to: out)
        print("\(a.id.short) -> \(out)")
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Store an .npy file as a tensor artifact (streamed; any size).")

    @OptionGroup var options: StoreOptions
    @Argument(help: "The .npy file.") var file: String
    @Option(help: "The artifact's name.") var name: String

    func run() throws {
        let store = try options.open()
        let a = try store.importNPY(path: file, name: name, metadata: ["source": .string(file)])
        print(a.id)
    }
}

struct FsckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck", abstract: "Re-hash every blob and check every reference; exit 1 listing all problems.")

    @OptionGroup var options: StoreOptions

    func run() throws {
        let store = try options.openForReading()
        let report = try store.fsck()
        for problem in report.problems { print(problem) }
        let garbage = report.unreferencedChunks > 0 ? "; \(report.unreferencedChunks) unreferenced chunks (run gc)" : ""
        print("\(report.blobsChecked) blobs (\(formatBytes(report.bytesChecked))) verified, "
              + "\(report.problems.count) problem\(report.problems.count == 1 ? "" : "s")\(garbage)")
        if !report.isClean { throw ExitCode(1) }
    }
}

struct GCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc", abstract: "Remove blobs no artifact references, and content of crashed writers.")

    @OptionGroup var options: StoreOptions
    @Flag(help: "Only report what would be removed.") var dryRun = false

    func run() throws {
        let store = try options.open()
        let r = try store.gc(dryRun: dryRun)
        print("\(dryRun ? "would free" : "freed") \(r.bytesFreed) bytes (\(formatBytes(r.bytesFreed))): "
              + "\(r.blobs) blobs, \(r.chunks) chunks, \(r.abandonedSessions) abandoned write sessions")
    }
}

func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(n), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(n) B" : String(format: "%.1f", value) + " " + units[unit]
}
