import Foundation
import XCTest

/// SQL text lives in Sources/Store (the porcelain: typed methods with bound parameters over one
/// connection) and in the `query` command (the plumbing: SQL typed by the user). Everything else
/// asks the store's typed API, so no other Swift source may hold SQL in a string literal.
final class SQLPlacementTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let allowed = ["Sources/Store/", "Sources/lzn-pipe/QueryCommand.swift"]

    func testNoSQLInStringLiteralsOutsideTheStoreAndTheQueryCommand() throws {
        let sources = Self.root.appendingPathComponent("Sources")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }.sorted()
        XCTAssertGreaterThan(files.count, 100, "the Sources tree was not found under \(sources.path)")
        var found: [String] = []
        for file in files {
            let relative = "Sources/" + file
            guard !Self.allowed.contains(where: relative.hasPrefix) else { continue }
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (line, literal) in SQLText.violations(in: text) { found.append("\(relative):\(line): \(literal)") }
        }
        XCTAssertTrue(found.isEmpty, "SQL outside Sources/Store and the query command; add a typed Store method instead:\n"
                       + found.joined(separator: "\n"))
    }

    /// The scanner finds SQL in one-line and multi-line literals, and not in comments or code.
    func testTheScannerFindsSQLOnlyInStringLiterals() {
        let sample = #"""
        // SELECT id FROM artifacts: a comment is fine
        let a = "SELECT id FROM stage_runs WHERE id = \(id)"
        let b = """
            WITH chosen AS (
              SELECT 1
            )
            """
        let c = "INSERT INTO metrics VALUES (1)"; let d = "update the table"  // DELETE FROM x
        try db.run("DELETE FROM blobs")
        let e = "CREATE INDEX i ON t (c)"
        let f = "the report selects UPDATE s SET"
        """#
        XCTAssertEqual(SQLText.violations(in: sample).map(\.line), [2, 5, 8, 9, 10, 11])
    }
}

/// Finds string literals holding SQL statements in Swift source text.
enum SQLText {
    static let keywords = try! NSRegularExpression(pattern: #"""
        \b(SELECT\s|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|CREATE\s+(TABLE|INDEX|VIEW|TRIGGER|UNIQUE)\b|DROP\s+(TABLE|INDEX|VIEW)\b|PRAGMA\s|BEGIN\s+IMMEDIATE\b)
        """#)

    /// (line, literal text) of each string literal, or line of a multi-line literal, holding SQL.
    static func violations(in source: String) -> [(line: Int, literal: String)] {
        var out: [(Int, String)] = []
        var inMultiline = false
        for (index, line) in source.components(separatedBy: "\n").enumerated() {
            for literal in literals(in: line, inMultiline: &inMultiline) where contains(literal) {
                out.append((index + 1, literal.trimmingCharacters(in: .whitespaces)))
            }
        }
        return out
    }

    static func contains(_ text: String) -> Bool {
        keywords.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The parts of one line inside string literals (comments and code skipped). A multi-line
    /// literal's lines count as literal text until its closing delimiter.
    static func literals(in line: String, inMultiline: inout Bool) -> [String] {
        let chars = Array(line)
        var out: [String] = []
        var i = 0
        if inMultiline {
            let text = String(chars)
            guard let close = text.range(of: "\"\"\"") else { return [text] }
            inMultiline = false
            out.append(String(text[..<close.lowerBound]))
            i = text.distance(from: text.startIndex, to: close.upperBound)
        }
        while i < chars.count {
            if chars[i] == "/", i + 1 < chars.count, chars[i + 1] == "/" { break }
            guard chars[i] == "\"" else { i += 1; continue }
            if i + 2 < chars.count, chars[i + 1] == "\"", chars[i + 2] == "\"" {
                inMultiline = true
                break
            }
            var literal = "", j = i + 1
            while j < chars.count, chars[j] != "\"" {
                if chars[j] == "\\", j + 1 < chars.count { literal.append(chars[j]); j += 1 }
                literal.append(chars[j])
                j += 1
            }
            out.append(literal)
            i = j + 1
        }
        return out
    }
}
