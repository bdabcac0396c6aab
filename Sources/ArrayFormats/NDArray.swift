// NDArray: a dtype-tagged, shaped, little-endian C-order byte buffer — the unit that `.npy` files,
// the store's tensor artifacts and stage inputs/outputs exchange.

#if !_endian(little)
#error("NDArray stores little-endian payloads and copies them with memcpy; big-endian hosts are not supported")
#endif

/// The element types lzn-pipe stores. Raw values are the names used in store metadata.
public enum DType: String, Codable, Sendable, CaseIterable {
    case float32, float64, int32, int64, uint8

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float64, .int64: return 8
        case .uint8: return 1
        }
    }

    /// The numpy `descr` string written to `.npy` headers.
    public var npyDescr: String {
        switch self {
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .uint8: return "|u1"
        }
    }
}

/// A dense array: `bytes` holds `shape.product` elements of `dtype`, little-endian, C (row-major) order.
public struct NDArray: Equatable, Sendable {
    public var dtype: DType
    public var shape: [Int]
    public var bytes: [UInt8]

    /// Wraps raw bytes. The byte count must match dtype and shape (a programming error otherwise).
    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "NDArray: negative dimension in shape \(shape)")
        precondition(bytes.count == NDArray.elementCount(shape) * dtype.byteSize,
                     "NDArray: \(bytes.count) bytes do not hold \(shape) × \(dtype)")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(float32 values: [Float], shape: [Int]) { self.init(values, dtype: .float32, shape: shape) }
    public init(float64 values: [Double], shape: [Int]) { self.init(values, dtype: .float64, shape: shape) }
    public init(int32 values: [Int32], shape: [Int]) { self.init(values, dtype: .int32, shape: shape) }
    public init(int64 values: [Int64], shape: [Int]) { self.init(values, dtype: .int64, shape: shape) }
    public init(uint8 values: [UInt8], shape: [Int]) { self.init(values, dtype: .uint8, shape: shape) }

    private init<T>(_ values: [T], dtype: DType, shape: [Int]) {
        precondition(MemoryLayout<T>.stride == dtype.byteSize)
        precondition(values.count == NDArray.elementCount(shape),
                     "NDArray: \(values.count) values do not fill shape \(shape)")
        self.init(dtype: dtype, shape: shape, bytes: values.withUnsafeBytes { Array($0) })
    }

    /// Number of elements (1 for a scalar of shape `[]`).
    public var count: Int { NDArray.elementCount(shape) }

    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The elements as Float, converting from any dtype.
    public func floats() -> [Float] {
        if dtype == .float32 { return reinterpret(Float.self) }
        return mapElements { Float($0) } float: { Float($0) }
    }

    /// The elements as Double, converting from any dtype.
    public func doubles() -> [Double] {
        if dtype == .float64 { return reinterpret(Double.self) }
        return mapElements { Double($0) } float: { $0 }
    }

    /// The elements as Int. Floating values are truncated toward zero; NaN becomes 0 and
    /// out-of-range values clamp to Int.min/Int.max.
    public func ints() -> [Int] {
        mapElements { Int($0) } float: { v in
            if v.isNaN { return 0 }
            if v >= 9.223372036854775807e18 { return Int.max }
            if v <= -9.223372036854775808e18 { return Int.min }
            return Int(v)
        }
    }

    private func reinterpret<T>(_: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress, !raw.isEmpty {
                    UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: base, byteCount: raw.count)
                }
            }
            initialized = count
        }
    }

    /// Maps every element through `integer` (integer dtypes, widened to Int64) or `float`
    /// (floating dtypes, widened to Double).
    private func mapElements<T>(_ integer: (Int64) -> T, float: (Double) -> T) -> [T] {
        let n = count
        return bytes.withUnsafeBytes { raw -> [T] in
            switch dtype {
            case .float32:
                return (0..<n).map { float(Double(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self))) }
            case .float64:
                return (0..<n).map { float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) }
            case .int32:
                return (0..<n).map { integer(Int64(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
            case .int64:
                return (0..<n).map { integer(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
            case .uint8:
                return (0..<n).map { integer(Int64(raw[$0])) }
            }
        }
    }
}
