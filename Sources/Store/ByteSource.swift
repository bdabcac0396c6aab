import ArrayFormats
import Foundation

/// Something that yields bytes in order, for streaming content into the store.
public protocol ByteSource {
    /// Fills a prefix of `buffer`; returns how many bytes were written, 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Reads a file (or FIFO, or stdin) sequentially with POSIX read(2).
public final class FileByteSource: ByteSource {
    public let path: String
    private var fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.io(path: path, reason: String(cString: strerror(errno))) }
    }

    deinit { if fd >= 0 { close(fd) } }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try FileIO.readSome(fd, into: buffer) { StoreError.io(path: path, reason: $0) }
    }

    /// Reads exactly `count` bytes, or fewer only at the end of the file.
    public func readUpTo(_ count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        try out.withUnsafeMutableBytes { raw in
            while done < count {
                let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[done...]))
                if n == 0 { break }
                done += n
            }
        }
        out.removeLast(count - done)
        return out
    }

    /// Reads and discards the rest; returns how many bytes there were.
    public func skipToEnd() throws -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        var total = 0
        while case let n = try read(into: scratch), n > 0 { total += n }
        return total
    }
}
