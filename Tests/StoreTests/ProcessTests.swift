import ArrayFormats
import Foundation
import Store
import XCTest

/// Several processes on one store, and a writer killed with SIGKILL mid-artifact.
/// The children are the built `lzn-pipe` executable.
final class ProcessTests: StoreTestCase {
    func testTwoProcessesWritingAtOnceLoseNothing() throws {
        let perProcess = 12
        for p in 0..<2 {
            for i in 0..<perProcess {
                let values = (0..<3000).map { Float(p * 100_000 + i * 1000 + $0) }
                try NPY.write(NDArray(float32: values, shape: [3000]), to: path("p\(p)-\(i).npy"))
            }
        }
        try NPY.write(NDArray(float32: [Float](repeating: 0.5, count: 3000), shape: [3000]), to: path("shared.npy"))
        try Store.open(storePath).close()
        let binary = try lznPipe().path
        let children = try (0..<2).map { p -> Process in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", """
                set -e
                "$0" import "$1/shared.npy" --name shared >/dev/null
                for i in $(seq 0 \(perProcess - 1)); do "$0" import "$1/p\(p)-$i.npy" --name "p\(p)-$i" >/dev/null; done
                """, binary, dir.path]
            process.environment = ["LZN_STORE": storePath]
            try process.run()
            return process
        }
        // Meanwhile this process writes too.
        let store = try Store.open(storePath)
        let run = try store.beginStageRun(stage: "observer", signature: "o")
        for step in 0..<40 { try store.recordMetrics(stageRun: run, [Metric("tick", Double(step), step: step)]) }
        for child in children {
            child.waitUntilExit()
            XCTAssertEqual(child.terminationStatus, 0)
        }
        XCTAssertEqual(try count("artifacts"), Int64(2 * perProcess + 1), "both imported 'shared': one artifact")
        XCTAssertEqual(try store.metrics(stageRun: run).count, 40)
        for p in 0..<2 {
            for i in 0..<perProcess {
                let a = try store.resolve("p\(p)-\(i)")
                XCTAssertEqual(try store.tensor(a.id).floats().first, Float(p * 100_000 + i * 1000))
            }
        }
        XCTAssertTrue(try store.fsck().isClean)
        XCTAssertEqual(try count("write_sessions"), 0, "children released their sessions on exit")
    }

    func testSIGKILLMidImportLeavesAConsistentStoreAndGCReclaimsTheChunks() throws {
        signal(SIGPIPE, SIG_IGN)
        try Store.open(storePath).close()
        let fifo = path("big.npy")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let child = Process()
        child.executableURL = try lznPipe()
        child.arguments = ["import", fifo, "--name", "big"]
        child.environment = ["LZN_STORE": storePath]
        try child.run()

        // Feed the header and 3 of 16 chunks' worth of payload (4 MiB chunks), then wait until the
        // child has committed at least two chunks and kill it mid-artifact.
        let writer = try XCTUnwrap(FileHandle(forWritingAtPath: fifo))
        writer.write(Data(NPY.headerBytes(dtype: .float32, shape: [16, 1 << 20])))
        var block = [Float](repeating: 0, count: 1 << 20)
        for k in 0..<3 {
            for j in block.indices { block[j] = Float(k) + Float(j) }
            block.withUnsafeBytes { writer.write(Data($0)) }
        }
        let deadline = Date().addingTimeInterval(60)
        while try count("chunks") < 2 {
            XCTAssertLessThan(Date(), deadline, "the child never committed chunks")
            if Date() > deadline { break }
            usleep(5_000)
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        try? writer.close()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)

        XCTAssertEqual(try ReadOnlyQuery.run("PRAGMA integrity_check", storePath: storePath).rows, [[.text("ok")]])
        XCTAssertEqual(try count("artifacts"), 0)
        XCTAssertEqual(try count("blobs"), 0)
        let staged = try count("chunks")
        XCTAssertGreaterThanOrEqual(staged, 2)

        let store = try Store.open(storePath)
        let fsck = try store.fsck()
        XCTAssertEqual(fsck.problems, [])
        XCTAssertEqual(fsck.unreferencedChunks, 0, "the dead writer's session still pins its chunks until gc")
        let report = try store.gc()
        XCTAssertEqual(report.abandonedSessions, 1)
        XCTAssertEqual(report.chunks, Int(staged))
        XCTAssertEqual(report.bytesFreed, Int(staged) * (4 << 20))
        XCTAssertEqual(try count("chunks"), 0)
        XCTAssertEqual(try count("write_sessions"), 0)
        XCTAssertTrue(try store.fsck().isClean)
    }
}
