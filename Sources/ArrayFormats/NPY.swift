import Foundation

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

// MARK: - .npy files (format versions 1.0, 2.0 and 3.0)
//
// Layout: "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for 2.0/3.0), then a Python
// dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a
// final '\n' so the payload starts at a multiple of 64, then the raw payload.

/// What is wrong with an `.npy` file; `source` is the file path (or a caller-chosen label).
public enum NPYError: Error, CustomStringConvertible, Equatable {
    case cannotRead(source: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case badMagic(source: String)
    case unsupportedVersion(source: String, major: UInt8, minor: UInt8)
    case headerTooShort(source: String)
    case headerTooLong(source: String, length: Int)
    case malformedHeader(source: String, detail: String)
    case fortranOrder(source: String)
    case unsupportedDType(source: String, descr: String)
    case payloadSizeMismatch(source: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .cannotRead(source, reason): return "\(source): cannot read: \(reason)"
        case let .cannotWrite(path, reason): return "\(path): cannot write: \(reason)"
        case let .badMagic(source): return "\(source): not a .npy file (bad magic; expected \\x93NUMPY)"
        case let .unsupportedVersion(source, major, minor):
            return "\(source): unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)"
        case let .headerTooShort(source): return "\(source): .npy header is truncated"
        case let .headerTooLong(source, length):
            return "\(source): .npy header of \(length) bytes exceeds the \(NPY.maxHeaderLength)-byte limit"
        case let .malformedHeader(source, detail): return "\(source): malformed .npy header: \(detail)"
        case let .fortranOrder(source):
            return "\(source): fortran_order arrays are not supported; save with np.ascontiguousarray(a)"
        case let .unsupportedDType(source, descr):
            let hint = descr.hasPrefix(">") ? " (big-endian; convert with a.astype(a.dtype.newbyteorder('<')))" : ""
            return "\(source): unsupported dtype '\(descr)'\(hint); supported: <f4 <f8 <i4 <i8 |u1"
        case let .payloadSizeMismatch(source, expected, actual):
            return "\(source): payload is \(actual) bytes but the header's dtype and shape need \(expected)"
        }
    }
}

/// The parsed header of an `.npy` file: enough to stream its payload without loading it.
public struct NPYHeader: Equatable, Sendable {
    public var dtype: DType
    public var shape: [Int]
    /// Offset of the first payload byte in the file.
    public var payloadOffset: Int
    /// Payload length implied by dtype and shape.
    public var payloadLength: Int
}

public enum NPY {
    /// Headers longer than this are rejected before anything is allocated for them.
    public static let maxHeaderLength = 1 << 20
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    /// Reads an `.npy` file. Memory use is the payload plus a bounded header, whatever the header claims.
    public static func read(contentsOf path: String) throws -> NDArray {
        let file = try NPYFileReader(path: path)
        defer { file.close() }
        let prefix = try file.readPrefix(maxCount: 12 + maxHeaderLength)
        let header = try parseHeader(prefix, source: path)
        let actual = file.size - header.payloadOffset
        guard actual == header.payloadLength else {
            throw NPYError.payloadSizeMismatch(source: path, expected: header.payloadLength, actual: actual)
        }
        let payload = try file.read(at: header.payloadOffset, count: header.payloadLength)
        return NDArray(dtype: header.dtype, shape: header.shape, bytes: payload)
    }

    /// Decodes `.npy` bytes held in memory; `source` names them in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> NDArray {
        let header = try parseHeader(bytes, source: source)
        let actual = bytes.count - header.payloadOffset
        guard actual == header.payloadLength else {
            throw NPYError.payloadSizeMismatch(source: source, expected: header.payloadLength, actual: actual)
        }
        return NDArray(dtype: header.dtype, shape: header.shape, bytes: Array(bytes[header.payloadOffset...]))
    }

    /// Encodes an array as `.npy` (version 1.0, or 2.0 when the header needs it).
    public static func encode(_ a: NDArray) -> [UInt8] {
        var out = headerBytes(dtype: a.dtype, shape: a.shape)
        out.reserveCapacity(out.count + a.bytes.count)
        out.append(contentsOf: a.bytes)
        return out
    }

    /// Writes an array to an `.npy` file (replacing it).
    public static func write(_ a: NDArray, to path: String) throws {
        try writeFile(path: path, header: headerBytes(dtype: a.dtype, shape: a.shape), payload: a.bytes)
    }

    /// The bytes preceding the payload for an array of this dtype and shape.
    public static func headerBytes(dtype: DType, shape: [Int]) -> [UInt8] {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var dict = Array("{'descr': '\(dtype.npyDescr)', 'fortran_order': False, 'shape': (\(dims)), }".utf8)
        // Magic + version + length field + dict + '\n', rounded up to 64 bytes.
        func paddedTotal(fixed: Int) -> Int { (fixed + dict.count + 1 + 63) / 64 * 64 }
        let v1 = paddedTotal(fixed: 10) - 10 <= Int(UInt16.max)
        let fixed = v1 ? 10 : 12
        let total = paddedTotal(fixed: fixed)
        dict.append(contentsOf: [UInt8](repeating: 0x20, count: total - fixed - dict.count - 1))
        dict.append(0x0A)
        var out = magic + [v1 ? 1 : 2, 0]
        let n = dict.count
        out += v1 ? [UInt8(n & 0xFF), UInt8(n >> 8)]
                  : [UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)]
        return out + dict
    }

    /// Parses the header at the start of `bytes` (which may hold just a prefix of the file).
    public static func parseHeader(_ bytes: [UInt8], source: String) throws -> NPYHeader {
        guard bytes.count >= 8 else {
            throw bytes.starts(with: magic.prefix(bytes.count)) && !bytes.isEmpty
                ? NPYError.headerTooShort(source: source) : NPYError.badMagic(source: source)
        }
        guard bytes.starts(with: magic) else { throw NPYError.badMagic(source: source) }
        let major = bytes[6], minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else {
            throw NPYError.unsupportedVersion(source: source, major: major, minor: minor)
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else { throw NPYError.headerTooShort(source: source) }
        var length = 0
        for i in (0..<lengthBytes).reversed() { length = length << 8 | Int(bytes[8 + i]) }
        guard length <= maxHeaderLength else { throw NPYError.headerTooLong(source: source, length: length) }
        let start = 8 + lengthBytes
        guard bytes.count >= start + length else { throw NPYError.headerTooShort(source: source) }
        guard let text = String(validating: bytes[start..<(start + length)], as: UTF8.self) else {
            throw NPYError.malformedHeader(source: source, detail: "header is not valid text")
        }
        var parser = NPYHeaderParser(text: text, source: source)
        let fields = try parser.parseDict()
        guard case .string(let descr)? = fields["descr"] else {
            throw NPYError.malformedHeader(source: source, detail: "missing 'descr'")
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else {
            throw NPYError.malformedHeader(source: source, detail: "missing 'fortran_order'")
        }
        guard case .tuple(let shape)? = fields["shape"] else {
            throw NPYError.malformedHeader(source: source, detail: "missing 'shape'")
        }
        let dtype = try dtypeFor(descr: descr, source: source)
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw NPYError.malformedHeader(source: source, detail: "shape \(shape) overflows") }
            count = product
        }
        let (length2, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw NPYError.malformedHeader(source: source, detail: "shape \(shape) overflows") }
        if fortran && shape.filter({ $0 > 1 }).count > 1 { throw NPYError.fortranOrder(source: source) }
        return NPYHeader(dtype: dtype, shape: shape, payloadOffset: start + length, payloadLength: length2)
    }

    static func dtypeFor(descr: String, source: String) throws -> DType {
        var code = descr
        if let first = code.first, first == "=" { code = "<" + code.dropFirst() }  // native = little here
        switch code {
        case "<f4": return .float32
        case "<f8": return .float64
        case "<i4": return .int32
        case "<i8": return .int64
        case "|u1", "<u1": return .uint8
        default: throw NPYError.unsupportedDType(source: source, descr: descr)
        }
    }
}

// MARK: - Header dict parser

/// Parses the Python literal dict of an `.npy` header: string keys; values are strings, booleans
/// or tuples of non-negative integers.
struct NPYHeaderParser {
    enum Value: Equatable { case string(String), bool(Bool), tuple([Int]) }

    private let chars: [Character]
    private var i = 0
    private let source: String

    init(text: String, source: String) {
        self.chars = Array(text)
        self.source = source
    }

    mutating func parseDict() throws -> [String: Value] {
        var result: [String: Value] = [:]
        try expect("{")
        while true {
            skipSpace()
            if peek == "}" { i += 1; break }
            let key = try parseString()
            try expect(":")
            result[key] = try parseValue()
            skipSpace()
            if peek == "," { i += 1; continue }
            try expect("}")
            break
        }
        skipSpace()
        guard i == chars.count else { throw fail("unexpected text after the dict") }
        return result
    }

    private var peek: Character? { i < chars.count ? chars[i] : nil }

    private func fail(_ detail: String) -> NPYError { .malformedHeader(source: source, detail: detail) }

    private mutating func skipSpace() { while let c = peek, c.isWhitespace { i += 1 } }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard peek == c else { throw fail("expected '\(c)' at offset \(i)") }
        i += 1
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        switch peek {
        case "'", "\"": return .string(try parseString())
        case "(": return .tuple(try parseTuple())
        case "T": try keyword("True"); return .bool(true)
        case "F": try keyword("False"); return .bool(false)
        default: throw fail("unsupported value at offset \(i)")
        }
    }

    private mutating func keyword(_ word: String) throws {
        for c in word { guard peek == c else { throw fail("expected \(word) at offset \(i)") }; i += 1 }
    }

    private mutating func parseString() throws -> String {
        skipSpace()
        guard let quote = peek, quote == "'" || quote == "\"" else { throw fail("expected a string at offset \(i)") }
        i += 1
        var s = ""
        while let c = peek, c != quote { s.append(c); i += 1 }
        guard peek == quote else { throw fail("unterminated string") }
        i += 1
        return s
    }

    private mutating func parseTuple() throws -> [Int] {
        try expect("(")
        var dims: [Int] = []
        while true {
            skipSpace()
            if peek == ")" { i += 1; return dims }
            var digits = ""
            while let c = peek, c.isASCII, c.isNumber { digits.append(c); i += 1 }
            if peek == "L" { i += 1 }  // Python 2 long suffix
            guard let d = Int(digits) else { throw fail("shape must be a tuple of non-negative integers") }
            dims.append(d)
            skipSpace()
            if peek == "," { i += 1; continue }
            try expect(")")
            return dims
        }
    }
}

// MARK: - File access (POSIX, so payloads are read straight into their final buffer)

struct NPYFileReader {
    let path: String
    let fd: Int32
    let size: Int

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw NPYError.cannotRead(source: path, reason: String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            Foundation.close(fd)
            throw NPYError.cannotRead(source: path, reason: reason)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            Foundation.close(fd)
            throw NPYError.cannotRead(source: path, reason: "not a regular file")
        }
        size = Int(st.st_size)
    }

    func close() { Foundation.close(fd) }

    func readPrefix(maxCount: Int) throws -> [UInt8] { try read(at: 0, count: min(maxCount, size)) }

    func read(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var done = 0
            while done < count {
                let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else {
                    let reason = n < 0 ? String(cString: strerror(errno)) : "file shrank while reading"
                    throw NPYError.cannotRead(source: path, reason: reason)
                }
                done += n
            }
            initialized = count
        }
    }
}

extension NPY {
    static func writeFile(path: String, header: [UInt8], payload: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw NPYError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        for part in [header, payload] {
            try part.withUnsafeBytes { raw in
                var done = 0
                while done < raw.count {
                    let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw NPYError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
                    done += n
                }
            }
        }
    }
}
