// The samples artifact lzn-generate writes and lzn-fid reads: a uint8 N×C×H×W tensor whose
// metadata names the sampler and the model tag (and, for class-conditional samples, their classes).
import ArrayFormats
import Datasets
import Store

public struct GeneratedSamples {
    public var images: Dataset
    public var sampler: String
    public var model: String
    /// The class each sample was generated for (class-conditional samples: metadata `labels`), else nil.
    public var labels: [Int]?

    /// The samples' metadata; `labels` are the classes of class-conditional samples, one per sample.
    public static func metadata(sampler: String, model: String, mode: String, labels: [Int]? = nil, extra: [String: JSON] = [:]) -> JSON {
        var fields: [String: JSON] = ["format": "lzn-samples/1", "sampler": .string(sampler), "model": .string(model), "mode": .string(mode)]
        if let labels { fields["labels"] = .array(labels.map { .number(Double($0)) }) }
        fields.merge(extra) { old, _ in old }
        return .object(fields)
    }

    /// Stores uint8 images [count, C, H, W] as a tensor artifact with the sampler and model tag.
    public static func save(_ images: [UInt8], count: Int, channels: Int, height: Int, width: Int,
                            metadata: JSON, name: String, in store: Store) throws -> Artifact {
        try store.putTensor(NDArray(uint8: images, shape: [count, channels, height, width]), name: name, metadata: metadata)
    }

    public static func load(_ artifact: Artifact, from store: Store) throws -> GeneratedSamples {
        let array = try store.tensor(artifact.id)
        guard array.dtype == .uint8, array.shape.count == 4, array.shape[0] >= 2, [1, 3].contains(array.shape[1]),
              array.shape[2] >= 1, array.shape[3] >= 1 else {
            throw EvaluationError.invalidInput(context: "samples", detail: "\(artifact.label) is \(array.dtype.rawValue) \(array.shape), expected uint8 N×C×H×W images (N ≥ 2, C = 1 or 3)")
        }
        guard let sampler = artifact.metadata["sampler"]?.stringValue else {
            throw EvaluationError.invalidInput(context: "samples", detail: "\(artifact.label) has no 'sampler' in its metadata; it was not written by lzn-generate")
        }
        let images = Dataset(images: array.bytes, count: array.shape[0], channels: array.shape[1], height: array.shape[2],
                             width: array.shape[3], labels: nil, classNames: [], split: .test, source: artifact.label, flippable: false)
        var labels: [Int]?
        if let values = artifact.metadata["labels"] {
            guard let list = values.arrayValue?.compactMap(\.intValue), list.count == images.count, list.allSatisfy({ $0 >= 0 }) else {
                throw EvaluationError.invalidInput(context: "samples", detail: "\(artifact.label): 'labels' in its metadata must be \(images.count) non-negative integers, one per sample")
            }
            labels = list
        }
        return GeneratedSamples(images: images, sampler: sampler, model: artifact.metadata["model"]?.stringValue ?? "", labels: labels)
    }
}
