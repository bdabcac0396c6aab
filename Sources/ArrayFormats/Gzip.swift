import CZlib

// gzip / zlib streams through zlib: inflate with a hard bound on the output size (a stream's own
// length fields are never trusted), and deflate for tests and for PNG's IDAT data.

/// What is wrong with a compressed stream. Callers add the file name when they wrap it.
public enum GzipProblem: Equatable, Sendable, CustomStringConvertible {
    /// zlib rejected the data (bad header, bad block, checksum mismatch); `detail` is zlib's message.
    case corrupt(detail: String)
    /// The input ended before the end of the compressed stream.
    case truncated
    /// Decompressing would produce more than `limit` bytes.
    case outputTooLarge(limit: Int)
    /// Bytes after the end of the stream that are not another gzip member.
    case trailingData(offset: Int, count: Int)

    public var description: String {
        switch self {
        case let .corrupt(detail): return "corrupt compressed stream (\(detail))"
        case .truncated: return "compressed stream is truncated"
        case let .outputTooLarge(limit): return "decompressed data exceeds the \(limit)-byte limit"
        case let .trailingData(offset, count):
            return "\(count) bytes of trailing data after the compressed stream at offset \(offset)"
        }
    }
}

public enum Gzip {
    /// The container written by `compress`.
    public enum Container: Sendable {
        case gzip  // RFC 1952: .gz files
        case zlib  // RFC 1950: PNG IDAT data
    }

    /// True when `bytes` start with the gzip magic number 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Inflates a gzip (possibly multi-member, as `cat a.gz b.gz` makes) or zlib stream.
    /// Never produces (or allocates for) more than `limit` bytes of output.
    public static func decompress(_ input: [UInt8], limit: Int) throws(ArrayFormatError) -> [UInt8] {
        // One byte of headroom past `limit` lets a stream that ends exactly at the limit finish.
        let capacity = limit == Int.max ? limit : limit + 1
        var output = [UInt8](repeating: 0, count: initialCapacity(input, limit: capacity))
        var produced = 0
        var stream = z_stream()
        // 15 + 32: maximum window, detect a gzip or a zlib header automatically.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .gzip(.corrupt(detail: "zlib could not initialise"))
        }
        defer { inflateEnd(&stream) }

        var consumed = 0
        var error: GzipProblem?
        input.withUnsafeBufferPointer { inBuffer in
            guard let inBase = inBuffer.baseAddress else { error = .truncated; return }
            while error == nil {
                if produced == output.count {
                    guard output.count < capacity else { error = .outputTooLarge(limit: limit); return }
                    output.append(contentsOf: repeatElement(0, count: min(output.count, capacity - output.count)))
                }
                let (status, inUsed, outUsed) = output.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_in = UnsafeMutablePointer(mutating: inBase + consumed)
                    stream.avail_in = UInt32(clamping: input.count - consumed)
                    stream.next_out = outBuffer.baseAddress! + produced
                    stream.avail_out = UInt32(clamping: outBuffer.count - produced)
                    let inBefore = stream.avail_in, outBefore = stream.avail_out
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, Int(inBefore - stream.avail_in), Int(outBefore - stream.avail_out))
                }
                consumed += inUsed
                produced += outUsed
                switch status {
                case Z_STREAM_END:
                    let rest = input.count - consumed
                    if rest == 0 { return }
                    // Another gzip member follows (concatenated .gz files); padding zeros are allowed too.
                    if input[consumed...].allSatisfy({ $0 == 0 }) { return }
                    guard rest >= 2, input[consumed] == 0x1F, input[consumed + 1] == 0x8B else {
                        error = .trailingData(offset: consumed, count: rest); return
                    }
                    inflateReset(&stream)
                case Z_OK:
                    break
                case Z_BUF_ERROR:
                    // No progress possible: either the output is full (grow it) or the input ran out.
                    if produced < output.count { error = .truncated }
                case Z_NEED_DICT:
                    error = .corrupt(detail: "stream needs a preset dictionary")
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                    error = .corrupt(detail: message)
                }
            }
        }
        if let error { throw .gzip(error) }
        guard produced <= limit else { throw .gzip(.outputTooLarge(limit: limit)) }
        output.removeSubrange(produced...)
        return output
    }

    /// Deflates `input` into a gzip or zlib container.
    public static func compress(_ input: [UInt8], container: Container = .gzip, level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        let windowBits: Int32 = container == .gzip ? 15 + 16 : 15
        let status = deflateInit2_(&stream, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY,
                                   zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "deflateInit2 failed with status \(status) (level \(level))")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
        var produced = 0
        input.withUnsafeBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate did not finish within deflateBound (status \(result))")
                produced = outBuffer.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }

    /// A first output size: the gzip trailer's length field when it is plausible (deflate expands at
    /// most about 1032:1), else a small multiple of the input; always within `limit`.
    private static func initialCapacity(_ input: [UInt8], limit: Int) -> Int {
        let plausibleMaximum = input.count.multipliedReportingOverflow(by: 1032).partialValue + 1024
        var guess = max(input.count * 4, 1 << 16)
        if isGzip(input), input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            if isize > 0 && isize <= plausibleMaximum { guess = isize + 1 }
        }
        return max(1, min(guess, limit, plausibleMaximum))
    }
}
