import Models
import Datasets
import Engine
import Foundation
import Store

/// What rank 0 of a data-parallel job sends every other rank before training, so that only rank 0
/// reads the store: the threads parameter, the whole dataset and the trainer's state (a checkpoint:
/// fresh weights, or the initialised / resumed ones), from which every rank starts identical.
///
/// Bytes: an 8-byte little-endian header length, the header as JSON (dataset facts, checkpoint
/// document, tensor names and shapes), the dataset's image bytes, then the tensors' float32 values
/// in header order (host byte order: the ranks of one job share an architecture).
struct WorkerSetup {
    var threads: Int
    var dataset: Dataset
    var checkpoint: CheckpointContents

    private struct TensorEntry: Codable {
        var name: String
        var shape: [Int]
    }

    private struct Header: Codable {
        var threads: Int
        var count: Int
        var channels: Int
        var height: Int
        var width: Int
        var labels: [Int]?
        var classNames: [String]
        var split: DatasetSplit
        var source: String
        var flippable: Bool
        var holdout: DatasetHoldout?
        var document: String
        var tensors: [TensorEntry]
    }

    func encoded() throws -> [UInt8] {
        let names = checkpoint.tensors.keys.sorted()
        let header = Header(threads: threads, count: dataset.count, channels: dataset.channels, height: dataset.height,
                            width: dataset.width, labels: dataset.labels, classNames: dataset.classNames, split: dataset.split,
                            source: dataset.source, flippable: dataset.flippable, holdout: dataset.holdout,
                            document: checkpoint.document.text,
                            tensors: names.map { TensorEntry(name: $0, shape: checkpoint.tensors[$0]!.shape) })
        let json = try JSONEncoder().encode(header)
        var bytes = [UInt8]()
        bytes.reserveCapacity(8 + json.count + dataset.images.count + 4 * names.reduce(0) { $0 + checkpoint.tensors[$1]!.count })
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: dataset.images)
        for name in names {
            checkpoint.tensors[name]!.withUnsafeBufferPointer { bytes.append(contentsOf: UnsafeRawBufferPointer($0)) }
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> WorkerSetup {
        func malformed(_ what: String) -> TrainingError {
            .incompatibleCheckpoint(checkpoint: "rank 0's setup", reason: what)
        }
        guard bytes.count >= 8 else { throw malformed("\(bytes.count) bytes") }
        let length = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        guard length <= bytes.count - 8 else { throw malformed("header of \(length) bytes in \(bytes.count)") }
        let header = try JSONDecoder().decode(Header.self, from: Data(bytes[8..<(8 + length)]))
        var offset = 8 + length
        let imageBytes = header.count * header.channels * header.height * header.width
        guard offset + imageBytes <= bytes.count else { throw malformed("truncated images") }
        let dataset = Dataset(images: Array(bytes[offset..<(offset + imageBytes)]), count: header.count, channels: header.channels,
                              height: header.height, width: header.width, labels: header.labels, classNames: header.classNames,
                              split: header.split, source: header.source, flippable: header.flippable, holdout: header.holdout)
        offset += imageBytes
        var tensors: [String: Tensor] = [:]
        for entry in header.tensors {
            let tensor = Tensor(shape: entry.shape)
            let size = tensor.count * MemoryLayout<Float>.size
            guard offset + size <= bytes.count else { throw malformed("truncated tensor \(entry.name)") }
            tensor.withUnsafeMutableBufferPointer { target in
                bytes.withUnsafeBytes { source in
                    UnsafeMutableRawBufferPointer(target).copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + size)]))
                }
            }
            tensors[entry.name] = tensor
            offset += size
        }
        guard offset == bytes.count else { throw malformed("\(bytes.count - offset) bytes left over") }
        return WorkerSetup(threads: header.threads, dataset: dataset,
                           checkpoint: CheckpointContents(tensors: tensors, document: try JSON(parsing: header.document)))
    }
}
