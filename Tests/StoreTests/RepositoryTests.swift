import Foundation
import XCTest

/// The repository stands alone: a clone has everything its tests, docs and README name.
final class RepositoryTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The team's reference folder beside a developer checkout (a user's clone has none). Built from
    /// pieces so this file does not name it itself.
    static let teamFolder = "shared"
    static let teamFolderPatterns = ["../" + teamFolder] + ["fixtures", "docs", "bench", "hooks"].map { teamFolder + "/" + $0 }

    /// Where README paths may start; anything else in backticks (commands, artifact names) is not a file.
    static let repositoryPrefixes = ["docs/", "benchmarks/", "scripts/", "pipelines/", "schema/", "Sources/", "Tests/", ".ci/"]

    /// Upper-case words the README uses as placeholders in paths (`pipelines/NAME.toml`).
    static let placeholders = ["NAME", "NNN"]

    func testNoFileRefersToTheTeamFolder() throws {
        let files = try Self.repositoryFiles()
        XCTAssertTrue(files.contains("README.md") && files.contains("Package.swift"), "file list: \(files.prefix(5))")
        var scanned = 0
        for file in files {
            guard let text = Self.text(of: Self.root.appendingPathComponent(file)) else { continue }
            scanned += 1
            for (line, pattern) in Self.teamFolderReferences(in: text) {
                XCTFail("\(file):\(line) refers to the team folder (\(pattern)); copy what it needs into the repository")
            }
        }
        XCTAssertGreaterThan(scanned, 100, "text files scanned")
    }

    func testTeamFolderReferencesAreFoundWithTheirLines() {
        let text = "fine\nsee ../\(Self.teamFolder)/README\nok\n\(Self.teamFolder)/docs/X.md and \(Self.teamFolder)/bench/y.py\n"
        XCTAssertEqual(Self.teamFolderReferences(in: text).map(\.line), [2, 4])
        XCTAssertEqual(Self.teamFolderReferences(in: "a shared buffer; sharedB; \(Self.teamFolder)/ alone").count, 0)
    }

    func testEveryPathTheReadmeNamesExists() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let paths = Self.repositoryPaths(inMarkdown: readme)
        XCTAssertFalse(paths.isEmpty, "README.md names no repository path")
        for path in paths where !Self.exists(path) {
            XCTFail("README.md names \(path), which is not in the repository")
        }
    }

    func testReadmePathsAreTakenFromCodeSpansBlocksAndLinks() {
        let markdown = """
            Run `python3 benchmarks/run.py --fast` and `lzn-pipe run full`; read [the method](docs/METHOD.md#6-evaluation).
            ```sh
            scripts/setup   # comment
            ```
            Files `schema/NNN_*.sql`, see [site](https://example.com/docs/x) and plain docs/unquoted.md.
            """
        XCTAssertEqual(Self.repositoryPaths(inMarkdown: markdown),
                       ["benchmarks/run.py", "docs/METHOD.md", "schema/NNN_*.sql", "scripts/setup"])
        XCTAssertTrue(Self.exists("schema/NNN_*.sql"))
        XCTAssertTrue(Self.exists("pipelines/NAME.toml"))
        XCTAssertTrue(Self.exists("scripts/setup"))
        XCTAssertFalse(Self.exists("benchmarks/run.py"))
        XCTAssertFalse(Self.exists("pipelines/NAME.json"))
    }

    // MARK: - Helpers

    /// Tracked and untracked-but-not-ignored files (`git ls-files`), else every file outside the
    /// build, VCS and store folders; paths relative to the root.
    static func repositoryFiles() throws -> [String] {
        if let listed = gitFiles() { return listed }
        let skipped: Set<String> = [".git", ".swiftpm", ".lzn"]
        var files: [String] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey])
        while let url = enumerator?.nextObject() as? URL {
            let name = url.lastPathComponent
            if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                if skipped.contains(name) || name.hasPrefix(".build") { enumerator?.skipDescendants() }
                continue
            }
            files.append(String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)))
        }
        return files.sorted()
    }

    private static func gitFiles() -> [String]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", root.path, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, !data.isEmpty else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\0").map(String.init)
    }

    /// The file's text, or nil for binary files (a NUL byte or invalid UTF-8) and missing ones.
    static func text(of url: URL) -> String? {
        guard let data = try? Data(contentsOf: url), !data.contains(0) else { return nil }
        return String(data: data, encoding: .utf8)
    }

    /// 1-based line numbers and the pattern found, for every line naming the team folder.
    static func teamFolderReferences(in text: String) -> [(line: Int, pattern: String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            teamFolderPatterns.first { line.contains($0) }.map { (index + 1, $0) }
        }
    }

    /// The repository-relative paths named in fenced code blocks, inline code spans and link targets
    /// (anchors dropped), sorted, without duplicates.
    static func repositoryPaths(inMarkdown markdown: String) -> [String] {
        var candidates: [Substring] = []
        var prose: [Substring] = []
        // Fenced blocks alternate with prose when the text is split at ``` fences.
        for (index, part) in markdown.components(separatedBy: "```").enumerated() {
            if index % 2 == 1 { candidates.append(Substring(part)) } else { prose.append(Substring(part)) }
        }
        for text in prose {
            let pieces = text.split(separator: "`", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() where index % 2 == 1 { candidates.append(piece) }
            var rest = text[...]
            while let open = rest.range(of: "]("), let close = rest[open.upperBound...].firstIndex(of: ")") {
                candidates.append(rest[open.upperBound..<close])
                rest = rest[close...]
            }
        }
        var paths = Set<String>()
        for candidate in candidates {
            for word in candidate.split(whereSeparator: \.isWhitespace) {
                var path = word.trimmingCharacters(in: CharacterSet(charactersIn: "\"'(),;:"))
                if let anchor = path.firstIndex(of: "#") { path = String(path[..<anchor]) }
                if path.hasPrefix("./") { path.removeFirst(2) }
                if repositoryPrefixes.contains(where: path.hasPrefix) { paths.insert(path) }
            }
        }
        return paths.sorted()
    }

    /// Whether `path` exists under the root; `*` and the placeholder words match any run of characters
    /// within one path component.
    static func exists(_ path: String) -> Bool {
        if FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path) { return true }
        var pattern = path
        for word in placeholders { pattern = pattern.replacingOccurrences(of: word, with: "*") }
        guard pattern.contains("*") else { return false }
        let directory = (pattern as NSString).deletingLastPathComponent
        let namePattern = (pattern as NSString).lastPathComponent
        guard !directory.contains("*"),
              let names = try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(directory).path)
        else { return false }
        return names.contains { fnmatch(namePattern, $0, 0) == 0 }
    }
}
