import Foundation

// .npy files (format versions 1.0, 2.0 and 3.0).
//
// Layout: "\x93NUMPY", major, minor, header length (u16 LE for 1.0, u32 LE for 2.0/3.0), then a Python
// dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a
// final '\n' so the payload starts at a multiple of 64, then the raw payload.

/// What is wrong with an `.npy` file; `source` is the file path (or a caller-chosen label).
public enum NPYProblem: Equatable, Sendable, CustomStringConvertible {
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
        let file = try ReadOnlyFile(path: path) { ArrayFormatError.npy(.cannotRead(source: path, reason: $0)) }
        defer { file.close() }
        let prefix = try file.read(at: 0, count: min(12 + maxHeaderLength, file.size))
        let header = try parseHeader(prefix, source: path)
        let actual = file.size - header.payloadOffset
        guard actual == header.payloadLength else {
            throw ArrayFormatError.npy(.payloadSizeMismatch(source: path, expected: header.payloadLength, actual: actual))
        }
        let payload = try file.read(at: header.payloadOffset, count: header.payloadLength)
        return NDArray(dtype: header.dtype, shape: header.shape, bytes: payload)
    }

    /// Decodes `.npy` bytes held in memory; `source` names them in errors.
    public static func decode(_ bytes: [UInt8], source: String) throws -> NDArray {
        let header = try parseHeader(bytes, source: source)
        let actual = bytes.count - header.payloadOffset
        guard actual == header.payloadLength else {
            throw ArrayFormatError.npy(.payloadSizeMismatch(source: source, expected: header.payloadLength, actual: actual))
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
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ArrayFormatError.npy(.cannotWrite(path: path, reason: String(cString: strerror(errno)))) }
        defer { close(fd) }
        for part in [headerBytes(dtype: a.dtype, shape: a.shape), a.bytes] {
            try part.withUnsafeBytes { try FileIO.writeAll(fd, $0) { ArrayFormatError.npy(.cannotWrite(path: path, reason: $0)) } }
        }
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
            throw ArrayFormatError.npy(bytes.starts(with: magic.prefix(bytes.count)) && !bytes.isEmpty
                ? .headerTooShort(source: source) : .badMagic(source: source))
        }
        guard bytes.starts(with: magic) else { throw ArrayFormatError.npy(.badMagic(source: source)) }
        let major = bytes[6], minor = bytes[7]
        guard (1...3).contains(major), minor == 0 else {
            throw ArrayFormatError.npy(.unsupportedVersion(source: source, major: major, minor: minor))
        }
        let lengthBytes = major == 1 ? 2 : 4
        guard bytes.count >= 8 + lengthBytes else { throw ArrayFormatError.npy(.headerTooShort(source: source)) }
        var length = 0
        for i in (0..<lengthBytes).reversed() { length = length << 8 | Int(bytes[8 + i]) }
        guard length <= maxHeaderLength else { throw ArrayFormatError.npy(.headerTooLong(source: source, length: length)) }
        let start = 8 + lengthBytes
        guard bytes.count >= start + length else { throw ArrayFormatError.npy(.headerTooShort(source: source)) }
        guard let text = String(validating: bytes[start..<(start + length)], as: UTF8.self) else {
            throw ArrayFormatError.npy(.malformedHeader(source: source, detail: "header is not valid text"))
        }
        var parser = NPYHeaderParser(text: text, source: source)
        let fields = try parser.parseDict()
        guard case .string(let descr)? = fields["descr"] else {
            throw ArrayFormatError.npy(.malformedHeader(source: source, detail: "missing 'descr'"))
        }
        guard case .bool(let fortran)? = fields["fortran_order"] else {
            throw ArrayFormatError.npy(.malformedHeader(source: source, detail: "missing 'fortran_order'"))
        }
        guard case .tuple(let shape)? = fields["shape"] else {
            throw ArrayFormatError.npy(.malformedHeader(source: source, detail: "missing 'shape'"))
        }
        let dtype = try dtypeFor(descr: descr, source: source)
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw ArrayFormatError.npy(.malformedHeader(source: source, detail: "shape \(shape) overflows")) }
            count = product
        }
        let (length2, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw ArrayFormatError.npy(.malformedHeader(source: source, detail: "shape \(shape) overflows")) }
        if fortran && shape.filter({ $0 > 1 }).count > 1 { throw ArrayFormatError.npy(.fortranOrder(source: source)) }
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
        default: throw ArrayFormatError.npy(.unsupportedDType(source: source, descr: descr))
        }
    }
}
