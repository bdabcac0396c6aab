import Foundation

/// A float32, contiguous, row-major tensor and a node of the autodiff graph (micrograd-style).
///
/// Storage is an owned, 64-byte aligned buffer freed in `deinit`. A tensor made by `reshaped`
/// shares its base's buffer (and keeps the base alive) instead of copying.
public final class Tensor {
    public let shape: [Int]
    /// Number of elements (product of `shape`; 1 for a scalar of shape []).
    public let count: Int
    @usableFromInline let data: UnsafeMutablePointer<Float>
    /// The tensor whose buffer this one views; nil when this tensor owns its buffer.
    private let base: Tensor?
    /// Set true on parameters (graph leaves) whose gradient `backward()` should accumulate.
    public var requiresGrad = false
    /// Accumulated (+=) by `backward()`; nil until then.
    public var grad: Tensor?
    /// The op that produced this tensor, when it was recorded in grad mode.
    var node: GraphNode?

    public var rank: Int { shape.count }

    /// A tensor whose contents are unspecified: the caller must write every element before reading.
    /// For kernels that produce all outputs themselves (saves zero-filling large buffers).
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        _ = AllocatorTuning.applied
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        self.data = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
        self.base = nil
    }

    /// A view of `base`'s buffer under another shape with the same element count.
    init(viewing base: Tensor, shape: [Int]) {
        precondition(shape.reduce(1, *) == base.count, "view: shape \(shape) for \(base.count) elements")
        self.shape = shape
        self.count = base.count
        self.data = base.data
        self.base = base.base ?? base
    }

    deinit {
        if base == nil { UnsafeMutableRawPointer(data).deallocate() }
    }

    public convenience init(shape: [Int], values: [Float]) {
        self.init(uninitializedShape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    public convenience init(shape: [Int], repeating value: Float = 0) {
        self.init(uninitializedShape: shape)
        data.initialize(repeating: value, count: count)
    }

    public convenience init(scalar: Float) {
        self.init(shape: [], values: [scalar])
    }

    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    public static func normal(_ shape: [Int], std: Float = 1, rng: inout Philox) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        rng.fillNormal(UnsafeMutableBufferPointer(start: t.data, count: t.count), std: std)
        return t
    }

    /// Rows `rows` of `Tensor.normal` of a `total`-row batch (`shape[0] == rows.count`), drawn
    /// without the other rows; `rng` ends where the whole batch's draw would leave it.
    public static func normal(_ shape: [Int], std: Float = 1, rng: inout Philox, rows: Range<Int>, of total: Int) -> Tensor {
        precondition(shape.first == rows.count, "Tensor.normal: shape \(shape) for rows \(rows)")
        let t = Tensor(uninitializedShape: shape)
        let perRow = rows.isEmpty ? 0 : t.count / rows.count
        rng.fillNormal(UnsafeMutableBufferPointer(start: t.data, count: t.count), std: std,
                       slice: (rows.lowerBound * perRow)..<(rows.upperBound * perRow), of: total * perRow)
        return t
    }

    public static func uniform(_ shape: [Int], low: Float, high: Float, rng: inout Philox) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        rng.fillUniform(UnsafeMutableBufferPointer(start: t.data, count: t.count), low: low, high: high)
        return t
    }

    /// A copy of the elements in row-major order.
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The only element of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "Tensor.scalar: tensor of shape \(shape) has \(count) elements")
        return data[0]
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: data, count: count))
    }

    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeMutableBufferPointer(start: data, count: count))
    }

    /// A copy of the values with no graph link and no gradient.
    public func detached() -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    public func zeroGrad() { grad = nil }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = values.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), values: [\(shown)\(count > 8 ? ", ..." : "")])"
    }
}
