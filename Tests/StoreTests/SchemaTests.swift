import Foundation
@testable import Store
import XCTest

final class SchemaTests: StoreTestCase {
    private var schemaDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("schema")
    }

    /// schema/*.sql must be exactly the migrations compiled into the store.
    /// `LZN_WRITE_SCHEMA=1 swift test --filter SchemaTests` regenerates the files.
    func testSchemaFilesEqualTheCompiledMigrations() throws {
        if ProcessInfo.processInfo.environment["LZN_WRITE_SCHEMA"] == "1" {
            for m in Schema.migrations {
                try (m.sql + "\n").write(to: schemaDirectory.appendingPathComponent(m.fileName), atomically: true, encoding: .utf8)
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: schemaDirectory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertEqual(files, Schema.migrations.map(\.fileName))
        for m in Schema.migrations {
            let text = try String(contentsOf: schemaDirectory.appendingPathComponent(m.fileName), encoding: .utf8)
            XCTAssertEqual(text, m.sql + "\n", "schema/\(m.fileName) differs from Schema.swift")
            XCTAssertEqual(Int32(m.fileName.prefix(3)), m.version)
        }
        XCTAssertEqual(Schema.migrations.map(\.version), Array(1...Schema.currentVersion))
    }

    func testMigratesAnEmptyFile() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path("empty.sqlite"), contents: Data()))
        let store = try Store.open(path("empty.sqlite"))
        XCTAssertEqual(try store.schemaVersion, Schema.currentVersion)
        let names = try ReadOnlyQuery.run("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name",
                                          storePath: path("empty.sqlite")).rows.map { $0[0] }
        for expected in ["artifacts", "blob_chunks", "blobs", "bundle_members", "chunks", "latest_metrics", "metric_history",
                         "metrics", "pipeline_runs", "stage_inputs", "stage_outputs", "stage_runs", "write_sessions"] {
            XCTAssertTrue(names.contains(.text(expected)), "missing \(expected)")
        }
        let mode = try ReadOnlyQuery.run("PRAGMA journal_mode", storePath: path("empty.sqlite")).rows
        XCTAssertEqual(mode, [[.text("wal")]])
    }

    func testCreatesDirectoriesAndReopens() throws {
        let store = try Store.open(storePath)
        let a = try store.putText("hello", name: "greeting")
        store.close()
        let again = try Store.open(storePath)
        XCTAssertEqual(try again.text(of: a.id), "hello")
    }

    func testUpgradesAnOlderStore() throws {
        let db = try Database(path: storePath.replacingOccurrences(of: "lzn/", with: ""), mode: .readWrite)
        try db.execute(Schema.migrations[0].sql)
        try db.execute("PRAGMA user_version = 1")
        db.close()
        let store = try Store.open(storePath.replacingOccurrences(of: "lzn/", with: ""))
        XCTAssertEqual(try store.schemaVersion, Schema.currentVersion)
        XCTAssertEqual(try store.latestMetrics(), [])
    }

    func testRefusesANewerStoreWithoutTouchingIt() throws {
        try Store.open(storePath).close()
        try tamper("PRAGMA user_version = 99")
        let before = try Data(contentsOf: URL(fileURLWithPath: storePath))
        XCTAssertThrowsError(try Store.open(storePath)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("schema version 99") && text.contains("newer lzn-pipe"), text)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: storePath)), before)
    }

    func testRefusesAForeignDatabase() throws {
        let db = try Database(path: path("other.sqlite"), mode: .readWrite)
        try db.execute("CREATE TABLE people (name TEXT)")
        db.close()
        XCTAssertThrowsError(try Store.open(path("other.sqlite"))) { error in
            XCTAssertTrue("\(error)".contains("is not an lzn-pipe store"), "\(error)")
        }
    }

    func testOpeningForReadingCreatesNothingAndWritesNothing() throws {
        XCTAssertThrowsError(try Store.openForReading(storePath)) { error in
            XCTAssertEqual("\(error)", "no store at \(storePath) (pass --store PATH or set $LZN_STORE; `lzn-pipe run` creates one)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("lzn").path), "nothing created")

        let writer = try Store.open(storePath)
        let greeting = try writer.putText("hello", name: "greeting")
        writer.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: storePath))
        let reader = try Store.openForReading(storePath)
        XCTAssertEqual(try reader.text(of: reader.resolve("greeting").id), "hello")
        XCTAssertEqual(try reader.fsck().problems, [])
        XCTAssertThrowsError(try reader.putText("more", name: "other")) { error in
            XCTAssertTrue("\(error)".contains("readonly"), "\(error)")
        }
        reader.close()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: storePath)), before)
        XCTAssertEqual(try Store.open(storePath).artifacts().map(\.id), [greeting.id])

        try tamper("PRAGMA user_version = 99")
        XCTAssertThrowsError(try Store.openForReading(storePath)) { XCTAssertTrue("\($0)".contains("schema version 99"), "\($0)") }
        XCTAssertTrue(FileManager.default.createFile(atPath: path("empty.sqlite"), contents: Data()))
        XCTAssertThrowsError(try Store.openForReading(path("empty.sqlite"))) {
            XCTAssertTrue("\($0)".contains("is not an lzn-pipe store"), "\($0)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("empty.sqlite"))), Data(), "still empty")
    }

    func testOpeningAnOlderStoreForReadingUpgradesIt() throws {
        let db = try Database(path: path("old.sqlite"), mode: .readWrite)
        try db.execute(Schema.migrations[0].sql)
        try db.execute("PRAGMA user_version = 1")
        db.close()
        let store = try Store.openForReading(path("old.sqlite"))
        XCTAssertEqual(try store.schemaVersion, Schema.currentVersion)
        XCTAssertEqual(try store.latestMetrics(), [])
    }

    func testStorePathResolution() {
        XCTAssertEqual(Store.resolvePath(option: "/x/s.sqlite", environment: ["LZN_STORE": "/env"], currentDirectory: "/cwd"), "/x/s.sqlite")
        XCTAssertEqual(Store.resolvePath(option: nil, environment: ["LZN_STORE": "/env"], currentDirectory: "/cwd"), "/env")
        XCTAssertEqual(Store.resolvePath(option: nil, environment: [:], currentDirectory: "/cwd"), "/cwd/.lzn/store.sqlite")
    }
}
