import Foundation
import Store
import XCTest

/// `lzn-pipe query`: ReadOnlyQuery.swift.
final class ReadOnlyQueryTests: StoreTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        let store = try Store.open(storePath)
        _ = try store.putText("a, \"quoted\"\nline", name: "note")
        _ = try store.putText("b", name: "other")
        store.close()
    }

    func testRefusesEveryKindOfWrite() throws {
        let attempts = [
            "INSERT INTO metrics (stage_run, name) VALUES (1, 'x')",
            "UPDATE artifacts SET name = 'x'",
            "DELETE FROM artifacts",
            "DROP TABLE artifacts",
            "CREATE TABLE t (x)",
            "ATTACH DATABASE '\(path("other.db"))' AS other",
            "DETACH DATABASE main",
            "PRAGMA user_version = 99",
            "PRAGMA query_only = 0",
            "PRAGMA journal_mode = DELETE",
            "PRAGMA incremental_vacuum",
            "SELECT 1; DELETE FROM artifacts",
            "SELECT 1; SELECT 2",
            "VACUUM",
            "VACUUM INTO '\(path("copy.db"))'",
            "REINDEX",
            "WITH x AS (SELECT 1) DELETE FROM artifacts",
        ]
        for sql in attempts {
            XCTAssertThrowsError(try ReadOnlyQuery.run(sql, storePath: storePath), sql) { error in
                XCTAssertTrue("\(error)".hasPrefix("query refused: "), "\(sql): \(error)")
            }
        }
        XCTAssertEqual(try count("artifacts"), 2)
        XCTAssertEqual(try scalar("PRAGMA user_version"), 3)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("other.db")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("copy.db")))

        let cli = try runLZNPipe(["query", "DELETE FROM artifacts"])
        XCTAssertNotEqual(cli.status, 0)
        XCTAssertTrue(cli.output.contains("query refused"), cli.output)
        XCTAssertEqual(try count("artifacts"), 2)
    }

    func testAllowsReadsIncludingReadingPragmasAndTrailingComments() throws {
        XCTAssertEqual(try ReadOnlyQuery.run("SELECT count(*) FROM artifacts; -- done\n", storePath: storePath).rows, [[.integer(2)]])
        XCTAssertEqual(try ReadOnlyQuery.run("PRAGMA journal_mode", storePath: storePath).rows, [[.text("wal")]])
        XCTAssertFalse(try ReadOnlyQuery.run("PRAGMA table_info(artifacts)", storePath: storePath).rows.isEmpty)
        XCTAssertEqual(try ReadOnlyQuery.run("EXPLAIN QUERY PLAN SELECT * FROM artifacts WHERE name = 'x'",
                                             storePath: storePath).columns.count, 4)
        XCTAssertThrowsError(try ReadOnlyQuery.run("SELECT * FROM nowhere", storePath: storePath)) {
            XCTAssertTrue("\($0)".contains("no such table: nowhere"), "\($0)")
        }
        XCTAssertThrowsError(try ReadOnlyQuery.run("SELECT 1", storePath: path("absent.sqlite"))) {
            XCTAssertTrue("\($0)".contains("no store here"), "\($0)")
        }
    }

    func testFormats() throws {
        let result = QueryResult(columns: ["name", "n", "x"], rows: [
            [.text("a, \"q\""), .integer(5), .real(0.5)],
            [.text("long name"), .integer(12345), .null],
        ])
        XCTAssertEqual(result.table(), """
            name       n      x
            ---------  -----  ----
            a, "q"         5   0.5
            long name  12345  NULL

            """)
        XCTAssertEqual(result.csv(), "name,n,x\r\n\"a, \"\"q\"\"\",5,0.5\r\nlong name,12345,\r\n")
        XCTAssertEqual(result.json(), "[{\"name\":\"a, \\\"q\\\"\",\"n\":5,\"x\":0.5},\n{\"name\":\"long name\",\"n\":12345,\"x\":null}]\n")
        let cli = try runLZNPipe(["query", "SELECT name FROM artifacts ORDER BY name", "--format", "csv"])
        XCTAssertEqual(cli.output, "name\r\nnote\r\nother\r\n")
    }
}
