import ArrayFormats
import Engine
import Foundation
import XCTest
@testable import Datasets

/// Mutation fuzzing of every reader: valid files get bit flips, truncations, extensions, byte
/// insertions/deletions and lying header fields; each read must either succeed or throw a
/// DatasetError, never crash. Every case counts the mutants the reader accepted and refused and
/// fails when too few were refused: a mutator that stopped mutating (or a reader that stopped
/// checking) would otherwise pass. Each run fuzzes with a new seed (from the clock), printed with
/// the counts, so a failure can be replayed; short by default; for a long run:
///   LZN_FUZZ_ITERATIONS=20000 LZN_FUZZ_SEED=1 swift test -c release --filter ReaderFuzzTests
final class ReaderFuzzTests: DatasetTestCase {
    private var iterations: Int { ProcessInfo.processInfo.environment["LZN_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 100 }
    /// LZN_FUZZ_SEED, else the clock: one seed for the whole test process.
    private static let seed: UInt64 = ProcessInfo.processInfo.environment["LZN_FUZZ_SEED"].flatMap(UInt64.init)
        ?? UInt64(Date().timeIntervalSince1970 * 1000) % 1_000_000_007

    /// Applies one to three random mutations; `headerBytes` marks the region where lies matter most.
    static func mutate(_ input: [UInt8], headerBytes: Int, rng: inout Philox) -> [UInt8] {
        var bytes = input
        for _ in 0...rng.uniformInt(3) {
            let n = bytes.count
            switch rng.uniformInt(7) {
            case 0 where n > 0:  // flip one bit anywhere
                bytes[rng.uniformInt(n)] ^= UInt8(1 << rng.uniformInt(8))
            case 1 where n > 0:  // truncate
                bytes.removeLast(1 + rng.uniformInt(n))
            case 2:  // extend with random bytes
                bytes += (0..<(1 + rng.uniformInt(64))).map { _ in UInt8(rng.uniformInt(256)) }
            case 3 where n > 0:  // lie in the header: overwrite a byte with an extreme value
                bytes[rng.uniformInt(min(n, headerBytes))] = [0x00, 0xFF, 0x7F, 0x80][rng.uniformInt(4)]
            case 4 where n > 0:  // insert a byte
                bytes.insert(UInt8(rng.uniformInt(256)), at: rng.uniformInt(n))
            case 5 where n > 1:  // delete a byte
                bytes.remove(at: rng.uniformInt(n))
            case 6 where n > 0:  // randomise a run
                let start = rng.uniformInt(n)
                for i in start..<min(n, start + 1 + rng.uniformInt(16)) { bytes[i] = UInt8(rng.uniformInt(256)) }
            default:
                break
            }
        }
        return bytes
    }

    /// Runs `read` on mutated copies of `valid`, written to `name`, counting the mutants read and
    /// refused. At least `minimumRefused` of them must be refused (a share of the iterations: the
    /// cases refuse 77–100%, measured over 2 × 2000 mutants, so 100 fall below half essentially never),
    /// and a mutant that happens to equal `valid` must be read.
    private func fuzz(_ valid: [UInt8], headerBytes: Int, name: String, stream: UInt64, minimumRefused: Double = 0.5,
                      file: StaticString = #filePath, line: UInt = #line, read: (String) throws -> Dataset) throws {
        var rng = Philox(seed: Self.seed, stream: stream)
        var accepted = 0, refused = 0, unchanged = 0
        for _ in 0..<iterations {
            let mutant = Self.mutate(valid, headerBytes: headerBytes, rng: &rng)
            if mutant == valid { unchanged += 1 }
            let path = try write(mutant, to: name)
            do {
                let dataset = try read(path)
                XCTAssertEqual(dataset.images.count, dataset.count * dataset.imageByteCount, file: file, line: line)
                accepted += 1
            } catch let error as DatasetError {
                refused += 1
                if mutant == valid { XCTFail("\(name): the unmutated file was refused: \(error)", file: file, line: line) }
            }
        }
        let replay = "LZN_FUZZ_SEED=\(Self.seed) LZN_FUZZ_ITERATIONS=\(iterations)"
        print("fuzz \(name) (stream \(stream), \(replay)): \(accepted) read, \(refused) refused, \(unchanged) unchanged")
        XCTAssertEqual(accepted + refused, iterations, file: file, line: line)
        XCTAssertGreaterThanOrEqual(Double(refused), minimumRefused * Double(iterations),
                                    "\(name): only \(refused) of \(iterations) mutants refused (\(unchanged) unchanged); replay with \(replay)",
                                    file: file, line: line)
    }

    func testIDXReaders() throws {
        let images = Fixture.idxImages(Fixture.pixels(count: 4, height: 5, width: 3), count: 4, height: 5, width: 3)
        let labels = try write(Fixture.idxLabels([1, 2, 3, 4]), to: "labels")
        // Not "images", which the first case leaves holding its last mutant.
        let imagePath = try write(images, to: "valid-images")
        try fuzz(images, headerBytes: 16, name: "images", stream: 1) {
            try Ingest.load(IngestRequest(format: .idx, inputs: [$0, labels]))
        }
        try fuzz(Fixture.idxLabels([1, 2, 3, 4]), headerBytes: 8, name: "labels", stream: 2) {
            try Ingest.load(IngestRequest(format: .idx, inputs: [imagePath, $0]))
        }
        try fuzz(Gzip.compress(images), headerBytes: 20, name: "images.gz", stream: 3) {
            try Ingest.load(IngestRequest(format: .idx, inputs: [$0]))
        }
    }

    func testCIFARReader() throws {
        let batch = Fixture.cifarRecords(labels: [0, 9, 3]).file
        try write(Array("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n".utf8), to: "cifar/batches.meta.txt")
        try fuzz(batch, headerBytes: 1, name: "cifar/test_batch.bin", stream: 4) { _ in
            try Ingest.load(IngestRequest(format: .cifar10, inputs: [self.folder + "/cifar"], split: .test))
        }
        try write(batch, to: "cifar/test_batch.bin")
        try fuzz(Array("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n".utf8), headerBytes: 20, name: "cifar/batches.meta.txt", stream: 5) { _ in
            try Ingest.load(IngestRequest(format: .cifar10, inputs: [self.folder + "/cifar"], split: .test))
        }
    }

    func testNPYReader() throws {
        let uint8 = NPY.encode(NDArray(uint8: Fixture.pixels(count: 2, channels: 3, height: 4, width: 4), shape: [2, 4, 4, 3]))
        let floats = NPY.encode(NDArray(float32: (0..<32).map { Float($0) / 31 }, shape: [2, 4, 4]))
        let labels = try write(NPY.encode(NDArray(int64: [0, 1], shape: [2])), to: "labels.npy")
        try fuzz(uint8, headerBytes: 128, name: "x.npy", stream: 6) { try Ingest.load(IngestRequest(format: .npy, inputs: [$0, labels])) }
        try fuzz(floats, headerBytes: 128, name: "f.npy", stream: 7) { try Ingest.load(IngestRequest(format: .npy, inputs: [$0])) }
        let imagePath = try write(uint8, to: "images.npy")
        try fuzz(NPY.encode(NDArray(int64: [0, 1], shape: [2])), headerBytes: 128, name: "y.npy", stream: 8) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [imagePath, $0]))
        }
    }

    func testJPEGReader() throws {
        let jpeg = try Fixture.jpeg(Fixture.pixels(count: 1, channels: 3, height: 24, width: 20), channels: 3, height: 24, width: 20)
        try fuzz(jpeg, headerBytes: 200, name: "jpegs/a.jpg", stream: 9) { _ in
            try Ingest.load(IngestRequest(format: .jpegFolder, inputs: [self.folder + "/jpegs"], size: 8))
        }
    }
}
