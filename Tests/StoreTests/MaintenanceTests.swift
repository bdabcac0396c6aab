import ArrayFormats
import Foundation
import Store
import XCTest

/// fsck and gc: Maintenance.swift. (Corruption cases are in BlobTests, crashes in ProcessTests.)
final class MaintenanceTests: StoreTestCase {
    func testGCRemovesOnlyUnreferencedContent() throws {
        let writer = try Store.open(storePath, chunkSize: 1000)
        let kept = try writer.putTensor(NDArray(uint8: [UInt8](repeating: 1, count: 2500), shape: [2500]), name: "kept")
        let bundle = try writer.putBundle(["w": NDArray(float32: [1, 2, 3], shape: [3])], name: "ckpt")
        let loose = try writer.putBlob([UInt8](repeating: 9, count: 3000))

        // While its writer is open, the loose blob is pinned and survives gc.
        let other = try Store.open(storePath, chunkSize: 1000)
        XCTAssertEqual(try other.gc(), GCReport())
        XCTAssertTrue(try hasBlob(loose))

        writer.close()
        let dry = try other.gc(dryRun: true)
        XCTAssertEqual(dry, GCReport(abandonedSessions: 0, blobs: 1, chunks: 1, bytesFreed: 1000))
        XCTAssertTrue(try hasBlob(loose), "a dry run removes nothing")
        XCTAssertEqual(try other.gc(), dry)
        XCTAssertFalse(try hasBlob(loose))
        // The other chunks of the loose blob (three equal 1000-byte chunks: one chunk row) are gone too.
        XCTAssertEqual(try other.tensor(kept.id).count, 2500)
        XCTAssertEqual(try other.bundleTensor(bundle.id, member: "w").floats(), [1, 2, 3])
        XCTAssertTrue(try other.fsck().isClean)
        XCTAssertEqual(try other.gc(), GCReport())

        let cli = try runLZNPipe(["gc", "--dry-run"])
        XCTAssertEqual(cli.status, 0)
        XCTAssertTrue(cli.output.contains("would free 0 bytes"), cli.output)
    }
}
