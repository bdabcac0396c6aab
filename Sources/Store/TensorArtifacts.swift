import ArrayFormats
import Foundation

/// Tensors, bundles and datasets. Every tensor payload (a tensor artifact's blob, each bundle
/// member's blob) is one `.npy` file (format 1.0, or 2.0 for huge headers): little-endian, C order,
/// dtype float32/float64/int32/int64/uint8. Exporting a tensor is copying its blob.
extension Store {
    /// Stores an array as a tensor artifact (streams from the array; no second full copy).
    public func putTensor(_ array: NDArray, name: String, metadata: JSON = [:]) throws -> Artifact {
        let staged = try stageTensor(array)
        return try registerArtifact(kind: .tensor, name: name, content: staged, mediaType: "application/x-npy",
                                    tensor: (array.dtype, array.shape), metadata: metadata)
    }

    /// Streams an `.npy` file (or FIFO) into a tensor artifact without loading it: memory is one chunk.
    public func importNPY(path: String, name: String, metadata: JSON = [:]) throws -> Artifact {
        var source = try FileByteSource(path: path)
        let header = try readNPYHeader(from: source)
        let writer = BlobWriter(store: self)
        try writer.append(NPY.headerBytes(dtype: header.dtype, shape: header.shape))
        let copied = try writer.append(from: &source, limit: header.payloadLength)
        let extra = try source.skipToEnd()
        guard copied == header.payloadLength, extra == 0 else {
            throw ArrayFormatError.npy(.payloadSizeMismatch(source: path, expected: header.payloadLength, actual: copied + extra))
        }
        let staged = try writer.finish()
        return try registerArtifact(kind: .tensor, name: name, content: staged, mediaType: "application/x-npy",
                                    tensor: (header.dtype, header.shape), metadata: metadata)
    }

    /// Reads only the header of an `.npy` stream, leaving `source` at the first payload byte.
    private func readNPYHeader(from source: FileByteSource) throws -> NPYHeader {
        var prefix = try source.readUpTo(10)  // magic, version, and a 2-byte header length (4 from 2.0 on)
        let lengthEnd = prefix.count == 10 && prefix[6] >= 2 ? 12 : 10
        if lengthEnd == 12 { prefix += try source.readUpTo(2) }
        if prefix.count == lengthEnd {
            let length = prefix[8..<lengthEnd].reversed().reduce(0) { $0 << 8 | Int($1) }
            if length <= NPY.maxHeaderLength { prefix += try source.readUpTo(length) }
        }
        return try NPY.parseHeader(prefix, source: source.path)
    }

    /// Loads a tensor artifact (verified). Memory: the array itself plus one chunk.
    public func tensor(_ id: ArtifactID) throws -> NDArray {
        let a = try artifact(id)
        guard a.kind == .tensor else { throw StoreError.wrongKind(artifact: a.label, expected: "tensor", actual: a.kind.rawValue) }
        return try loadTensorBlob(a.blob, label: a.label, expected: a.dtype.map { ($0, a.shape ?? []) })
    }

    // MARK: Bundles and datasets

    /// Stores named tensors plus a JSON document (a checkpoint: parameters, EMA shadows, optimizer
    /// state, counters, RNG state, config) as one artifact. Each tensor is its own blob, so tensors
    /// that did not change between checkpoints are stored once.
    public func putBundle(_ tensors: [String: NDArray], document: JSON = [:], name: String,
                          metadata: JSON = [:]) throws -> Artifact {
        try putBundle(tensors, document: document, name: name, kind: .bundle, metadata: metadata)
    }

    /// Stores a dataset: named tensors (e.g. `images` uint8 N×C×H×W, `labels` int64 N) with the
    /// dataset's description (class names, split, source, ...) as metadata.
    public func putDataset(_ tensors: [String: NDArray], name: String, metadata: JSON) throws -> Artifact {
        try putBundle(tensors, document: metadata, name: name, kind: .dataset, metadata: metadata)
    }

    private func putBundle(_ tensors: [String: NDArray], document: JSON, name: String, kind: ArtifactKind,
                           metadata: JSON) throws -> Artifact {
        var members: [StagedMember] = []
        for (memberName, array) in tensors.sorted(by: { $0.key < $1.key }) {
            members.append(StagedMember(name: memberName, blob: try stageTensor(array), dtype: array.dtype, shape: array.shape))
        }
        return try registerArtifact(kind: kind, name: name, content: try stage(Array(document.text.utf8)), mediaType: "application/json",
                                    metadata: metadata, members: members)
    }

    /// The members of a bundle or dataset, by name.
    public func bundleMembers(_ id: ArtifactID) throws -> [BundleMember] {
        try db.query("SELECT name, blob, dtype, shape FROM bundle_members WHERE artifact = ? ORDER BY name",
                     [.text(id.hex)]) { s in
            guard let blob = BlobAddress(s.text(1)), let dtype = DType(rawValue: s.text(2)) else {
                throw StoreError.notAStore(store: path, reason: "malformed bundle member \(s.text(0)) of \(id.short)")
            }
            let shape = try JSON(parsing: s.text(3)).arrayValue?.compactMap(\.intValue) ?? []
            return BundleMember(name: s.text(0), blob: blob, dtype: dtype, shape: shape)
        }
    }

    /// One tensor of a bundle or dataset.
    public func bundleTensor(_ id: ArtifactID, member: String) throws -> NDArray {
        let a = try artifact(id)
        guard let m = try bundleMembers(id).first(where: { $0.name == member }) else {
            throw StoreError.memberNotFound(artifact: a.label, member: member)
        }
        return try loadTensorBlob(m.blob, label: "\(a.label) member \(member)", expected: (m.dtype, m.shape))
    }

    /// Every tensor of a bundle or dataset.
    public func bundleTensors(_ id: ArtifactID) throws -> [String: NDArray] {
        let a = try artifact(id)
        guard a.kind == .bundle || a.kind == .dataset else {
            throw StoreError.wrongKind(artifact: a.label, expected: "bundle", actual: a.kind.rawValue)
        }
        var out: [String: NDArray] = [:]
        for m in try bundleMembers(id) {
            out[m.name] = try loadTensorBlob(m.blob, label: "\(a.label) member \(m.name)", expected: (m.dtype, m.shape))
        }
        return out
    }

    // MARK: Payload codec

    func stageTensor(_ array: NDArray) throws -> StagedBlob {
        try stage(NPY.headerBytes(dtype: array.dtype, shape: array.shape), array.bytes)
    }

    /// Decodes an `.npy` blob while streaming it: the header is parsed from the first bytes, then
    /// each chunk is copied straight into the array's buffer.
    func loadTensorBlob(_ address: BlobAddress, label: String, expected: (DType, [Int])?) throws -> NDArray {
        var headerBytes: [UInt8] = []
        var header: NPYHeader?
        var payload: [UInt8] = []
        var filled = 0
        func bad(_ detail: String) -> StoreError { .badTensorPayload(artifact: label, detail: detail) }
        try streamBlob(address, artifact: label) { chunk in
            if header == nil {
                headerBytes.append(contentsOf: chunk)
                guard let parsed = try parsedHeader(headerBytes, label: label) else { return }
                header = parsed
                if let expected, expected.0 != parsed.dtype || expected.1 != parsed.shape {
                    throw bad("payload holds \(parsed.dtype) \(parsed.shape), the artifact says \(expected.0) \(expected.1)")
                }
                payload = [UInt8](repeating: 0, count: parsed.payloadLength)
                let leftover = headerBytes.count - parsed.payloadOffset
                guard leftover <= payload.count else { throw bad("payload is longer than dtype and shape allow") }
                payload.withUnsafeMutableBytes { dst in
                    headerBytes.withUnsafeBytes { src in
                        UnsafeMutableRawBufferPointer(rebasing: dst[0..<leftover])
                            .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[parsed.payloadOffset...]))
                    }
                }
                filled = leftover
                headerBytes = []
                return
            }
            guard filled + chunk.count <= payload.count else { throw bad("payload is longer than dtype and shape allow") }
            payload.withUnsafeMutableBytes { dst in
                UnsafeMutableRawBufferPointer(rebasing: dst[filled..<(filled + chunk.count)]).copyMemory(from: chunk)
            }
            filled += chunk.count
        }
        guard let header else { throw bad("truncated .npy header") }
        guard filled == payload.count else { throw bad("payload has \(filled) bytes, expected \(payload.count)") }
        return NDArray(dtype: header.dtype, shape: header.shape, bytes: payload)
    }

    /// The header once enough bytes arrived; nil while more are needed.
    private func parsedHeader(_ bytes: [UInt8], label: String) throws -> NPYHeader? {
        do {
            return try NPY.parseHeader(bytes, source: label)
        } catch ArrayFormatError.npy(.headerTooShort) {
            return nil
        } catch let e as ArrayFormatError {
            throw StoreError.badTensorPayload(artifact: label, detail: e.description)
        }
    }
}
