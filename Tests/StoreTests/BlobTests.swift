import Foundation
@testable import Store
import XCTest

/// Chunked, content-addressed blobs: BlobWriter.swift and BlobReader.swift.
final class BlobTests: StoreTestCase {
    private func bytes(_ n: Int, seed: UInt8 = 0) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }

    func testRoundTripsAcrossChunkBoundaries() throws {
        let store = try Store.open(storePath, chunkSize: 1000)
        for size in [0, 1, 999, 1000, 1001, 5000] {
            let content = bytes(size, seed: UInt8(size % 251))
            let address = try store.putBlob(content)
            XCTAssertEqual(try store.readBlob(address), content, "size \(size)")
            let chunks = try scalar("SELECT chunk_count FROM blobs WHERE address = '\(address)'")
            XCTAssertEqual(chunks, Int64((size + 999) / 1000))
        }
    }

    func testAddressIsSHA256OfTheContent() throws {
        let store = try Store.open(storePath)
        XCTAssertEqual(try store.putBlob(Array("abc".utf8)).description,
                       "sha256-ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(try store.putBlob([]).description,
                       "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    func testIdenticalContentIsStoredOnce() throws {
        let store = try Store.open(storePath, chunkSize: 1000)
        let content = bytes(3500)
        let first = try store.putBlob(content)
        let second = try store.putBlob(content)
        XCTAssertEqual(first, second)
        XCTAssertEqual(try count("blobs"), 1)
        XCTAssertEqual(try count("chunks"), 4)
        // A blob sharing its first two chunks reuses them.
        _ = try store.putBlob(Array(content.prefix(2000)) + bytes(10, seed: 7))
        XCTAssertEqual(try count("blobs"), 2)
        XCTAssertEqual(try count("chunks"), 5)
        // Artifacts over the same bytes share the blob.
        let a = try store.putText("same", name: "a"), b = try store.putText("same", name: "b")
        XCTAssertEqual(a.blob, b.blob)
        XCTAssertNotEqual(a.id, b.id)
        XCTAssertEqual(try store.putText("same", name: "a").id, a.id, "registering twice yields the same artifact")
        XCTAssertEqual(try count("artifacts"), 2)
    }

    func testStreamsFromAFileSource() throws {
        let content = bytes(2_500_000)
        try Data(content).write(to: URL(fileURLWithPath: path("raw.bin")))
        let store = try Store.open(storePath, chunkSize: 1 << 20)
        var source = try FileByteSource(path: path("raw.bin"))
        let address = try store.putBlob(from: &source)
        XCTAssertEqual(try store.readBlob(address), content)
        XCTAssertTrue(try hasBlob(address))
    }

    func testAFlippedByteIsReportedNamingTheArtifact() throws {
        let store = try Store.open(storePath, chunkSize: 1000)
        let a = try store.putImage(bytes(2500), name: "grid.png")
        // Flip one byte in the middle chunk with plain SQL.
        try tamper("""
            UPDATE chunks SET data = CAST(substr(data, 1, 99) || x'FF' || substr(data, 101) AS BLOB)
            WHERE hash = (SELECT chunk FROM blob_chunks WHERE seq = 1)
            """)
        XCTAssertThrowsError(try store.content(of: a.id)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("corrupt blob") && text.contains("grid.png (\(a.id.short))")
                          && text.contains("chunk 1 does not match"), text)
        }
        let report = try store.fsck()
        XCTAssertEqual(report.problems.count, 1, "\(report.problems)")
        XCTAssertTrue(report.problems[0].contains("grid.png"), report.problems[0])
        let cli = try runLZNPipe(["fsck"])
        XCTAssertEqual(cli.status, 1)
        XCTAssertTrue(cli.output.contains("grid.png") && cli.output.contains("1 problem"), cli.output)
    }

    /// Every chunk intact (each matches its own hash; count and size right) but the list names another
    /// blob's chunk: only the whole-content hash can tell, and it must.
    func testAWholeBlobHashMismatchWithEveryChunkIntactIsCorrupt() throws {
        let store = try Store.open(storePath, chunkSize: 1000)
        let a = try store.putText(String(repeating: "a", count: 2000), name: "aa")
        _ = try store.putText(String(repeating: "a", count: 1000) + String(repeating: "b", count: 1000), name: "ab")
        // Point aa's second chunk at ab's second chunk, an intact chunk of the same size.
        try tamper("""
            UPDATE blob_chunks SET chunk = (SELECT chunk FROM blob_chunks WHERE blob = (
                SELECT blob FROM artifacts WHERE name = 'ab') AND seq = 1)
            WHERE blob = (SELECT blob FROM artifacts WHERE name = 'aa') AND seq = 1
            """)
        XCTAssertEqual(try scalar("SELECT count(*) FROM blob_chunks bc JOIN chunks c ON c.hash = bc.chunk WHERE length(c.data) = 1000"), 4)
        XCTAssertThrowsError(try store.text(of: a.id)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("aa (\(a.id.short))") && text.contains("content does not hash to its address"), text)
        }
        let problems = try store.fsck().problems
        XCTAssertEqual(problems.count, 1, "\(problems)")
        XCTAssertTrue(problems.first?.contains("content does not hash to its address") == true, "\(problems)")
    }

    func testMissingChunkAndTruncatedListAreCorrupt() throws {
        let store = try Store.open(storePath, chunkSize: 1000)
        let a = try store.putText(String(repeating: "x", count: 2500) + "y", name: "log")
        try tamper("PRAGMA foreign_keys = OFF; DELETE FROM chunks WHERE hash = (SELECT chunk FROM blob_chunks WHERE seq = 2)")
        XCTAssertThrowsError(try store.text(of: a.id)) { XCTAssertTrue("\($0)".contains("chunk 2"), "\($0)") }
        let problems = try store.fsck().problems
        XCTAssertTrue(problems.contains { $0.contains("log (\(a.id.short))") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("dangling reference") }, "\(problems)")
    }

    func testACleanStorePassesFsck() throws {
        let store = try Store.open(storePath, chunkSize: 1000)
        _ = try store.putText(String(repeating: "ab", count: 3000), name: "t")
        let report = try store.fsck()
        XCTAssertEqual(report.problems, [])
        XCTAssertEqual(report.blobsChecked, 1)
        let cli = try runLZNPipe(["fsck"])
        XCTAssertEqual(cli.status, 0, cli.output)
    }
}
