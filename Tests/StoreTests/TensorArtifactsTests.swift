import ArrayFormats
import Foundation
import Store
import XCTest

/// Tensors, bundles and datasets: TensorArtifacts.swift.
final class TensorArtifactsTests: StoreTestCase {
    func testEveryDTypeRoundTrips() throws {
        let store = try Store.open(storePath, chunkSize: 64)  // headers and payloads span chunks
        let arrays = [
            NDArray(float32: (0..<100).map { Float($0) * 0.5 - 7 }, shape: [4, 25]),
            NDArray(float64: [1e-300, -2, .pi], shape: [3]),
            NDArray(int32: [Int32.min, -1, 0, Int32.max], shape: [2, 2]),
            NDArray(int64: [Int64.max, 3], shape: [2, 1]),
            NDArray(uint8: (0..<255).map { UInt8($0) }, shape: [5, 51]),
            NDArray(float32: [], shape: [0, 3]),
            NDArray(float64: [42], shape: []),
        ]
        for (i, array) in arrays.enumerated() {
            let a = try store.putTensor(array, name: "t\(i)", metadata: ["i": .number(Double(i))])
            XCTAssertEqual(a.kind, .tensor)
            XCTAssertEqual(a.dtype, array.dtype)
            XCTAssertEqual(a.shape, array.shape)
            XCTAssertEqual(try store.tensor(a.id), array)
            // The payload is a plain .npy file.
            XCTAssertEqual(try NPY.decode(store.content(of: a.id), source: "blob"), array)
        }
    }

    func testBundleAndDatasetRoundTrip() throws {
        let store = try Store.open(storePath, chunkSize: 1000)
        let params: [String: NDArray] = [
            "enc.conv1.weight": NDArray(float32: (0..<600).map(Float.init), shape: [6, 1, 10, 10]),
            "enc.conv1.bias": NDArray(float32: [1, 2, 3, 4, 5, 6], shape: [6]),
            "adam.step": NDArray(int64: [1200], shape: []),
        ]
        let doc: JSON = ["iteration": 1200, "rng": ["seed": 7, "counter": 99], "config": ["preset": "s"]]
        let ckpt = try store.putBundle(params, document: doc, name: "ckpt-1200", metadata: ["iteration": 1200])
        XCTAssertEqual(ckpt.kind, .bundle)
        XCTAssertEqual(try store.bundleTensors(ckpt.id), params)
        XCTAssertEqual(try store.json(of: ckpt.id), doc)
        XCTAssertEqual(try store.bundleTensor(ckpt.id, member: "enc.conv1.bias"), params["enc.conv1.bias"])
        XCTAssertEqual(try store.bundleMembers(ckpt.id).map(\.name), ["adam.step", "enc.conv1.bias", "enc.conv1.weight"])
        XCTAssertThrowsError(try store.bundleTensor(ckpt.id, member: "nope")) {
            XCTAssertTrue("\($0)".contains("ckpt-1200 (\(ckpt.id.short)) has no member 'nope'"), "\($0)")
        }

        // A second checkpoint with one changed tensor stores only that tensor's chunks anew.
        let chunksBefore = try count("chunks")
        var next = params
        next["adam.step"] = NDArray(int64: [1300], shape: [])
        let ckpt2 = try store.putBundle(next, document: doc, name: "ckpt-1300")
        XCTAssertEqual(try count("chunks"), chunksBefore + 1)
        XCTAssertEqual(try store.bundleTensor(ckpt2.id, member: "adam.step").ints(), [1300])

        let images = NDArray(uint8: (0..<(4 * 1 * 3 * 3)).map { UInt8($0) }, shape: [4, 1, 3, 3])
        let labels = NDArray(int64: [0, 1, 1, 0], shape: [4])
        let meta: JSON = ["classes": ["cat", "dog"], "split": "train", "source": "synthetic"]
        let ds = try store.putDataset(["images": images, "labels": labels], name: "toy", metadata: meta)
        XCTAssertEqual(ds.kind, .dataset)
        XCTAssertEqual(ds.metadata, meta)
        XCTAssertEqual(try store.bundleTensors(ds.id), ["images": images, "labels": labels])

        try store.export(ds.id, member: "labels", to: path("labels.npy"))
        XCTAssertEqual(try NPY.read(contentsOf: path("labels.npy")), labels)
        XCTAssertThrowsError(try store.tensor(ds.id)) { XCTAssertTrue("\($0)".contains("is a dataset, not a tensor"), "\($0)") }
    }

    func testImportRejectsTruncatedAndOverlongFilesLeavingNoArtifact() throws {
        let store = try Store.open(storePath)
        let bytes = NPY.encode(NDArray(float64: [1, 2, 3], shape: [3]))
        try Data(bytes.dropLast(1)).write(to: URL(fileURLWithPath: path("short.npy")))
        try Data(bytes + [0]).write(to: URL(fileURLWithPath: path("long.npy")))
        XCTAssertThrowsError(try store.importNPY(path: path("short.npy"), name: "s")) {
            XCTAssertEqual($0 as? ArrayFormatError, .npy(.payloadSizeMismatch(source: path("short.npy"), expected: 24, actual: 23)))
        }
        XCTAssertThrowsError(try store.importNPY(path: path("long.npy"), name: "l")) {
            XCTAssertEqual($0 as? ArrayFormatError, .npy(.payloadSizeMismatch(source: path("long.npy"), expected: 24, actual: 25)))
        }
        XCTAssertEqual(try count("artifacts"), 0)
    }

    /// A 300 MiB tensor goes in from a file and out to a file with memory bounded by a few chunks,
    /// and loads into memory with one copy of the array.
    func testA300MiBTensorStreamsWithBoundedMemory() throws {
        let rows = 75, columns = 1 << 20   // 75 × 1 Mi float32 = 300 MiB
        let header = NPY.headerBytes(dtype: .float32, shape: [rows, columns])
        let source = path("big.npy")
        XCTAssertTrue(FileManager.default.createFile(atPath: source, contents: nil))
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: source))
        out.write(Data(header))
        var row = [Float](repeating: 0, count: columns)
        for r in 0..<rows {
            row.withUnsafeMutableBufferPointer { p in for j in 0..<columns { p[j] = Float(r) + Float(j) * 1e-6 } }
            row.withUnsafeBytes { out.write(Data($0)) }
        }
        try out.close()
        let payloadBytes = rows * columns * 4

        let store = try Store.open(storePath)
        let mib = 1 << 20
        try resetPeakMemory()
        var base = try currentMemory()
        var start = cpuSeconds()
        let a = try store.importNPY(path: source, name: "big")
        let importGrowth = try peakMemory() - base
        let importSeconds = cpuSeconds() - start
        XCTAssertEqual(a.size, header.count + payloadBytes)
        XCTAssertLessThan(importGrowth, 48 * mib, "import peak growth \(importGrowth / mib) MiB")

        try resetPeakMemory()
        base = try currentMemory()
        start = cpuSeconds()
        try store.export(a.id, to: path("big-out.npy"))
        let exportGrowth = try peakMemory() - base
        let exportSeconds = cpuSeconds() - start
        XCTAssertLessThan(exportGrowth, 48 * mib, "export peak growth \(exportGrowth / mib) MiB")
        try assertFilesEqual(source, path("big-out.npy"))

        try resetPeakMemory()
        base = try currentMemory()
        start = cpuSeconds()
        let loaded = try store.tensor(a.id)
        let loadGrowth = try peakMemory() - base
        let loadSeconds = cpuSeconds() - start
        XCTAssertEqual(loaded.shape, [rows, columns])
        XCTAssertLessThan(loadGrowth, payloadBytes + 48 * mib, "load peak growth \(loadGrowth / mib) MiB")
        loaded.bytes.withUnsafeBytes { raw in
            XCTAssertEqual(raw.load(fromByteOffset: (74 * columns + 1000) * 4, as: Float.self), Float(74) + Float(1000) * 1e-6)
        }
        print("""
            300 MiB tensor (CPU seconds, peak RSS growth): import \(String(format: "%.2f", importSeconds)) s (+\(importGrowth / mib) MiB peak), \
            export \(String(format: "%.2f", exportSeconds)) s (+\(exportGrowth / mib) MiB), \
            load \(String(format: "%.2f", loadSeconds)) s (+\(loadGrowth / mib) MiB)
            """)
    }

    /// User + system CPU time of this process (wall time is meaningless on a shared machine).
    private func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private func assertFilesEqual(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try FileHandle(forReadingFrom: URL(fileURLWithPath: a)), y = try FileHandle(forReadingFrom: URL(fileURLWithPath: b))
        defer { try? x.close(); try? y.close() }
        while true {
            let p = try x.read(upToCount: 8 << 20) ?? Data(), q = try y.read(upToCount: 8 << 20) ?? Data()
            guard p == q else { return XCTFail("\(a) and \(b) differ", file: file, line: line) }
            if p.isEmpty { return }
        }
    }
}
