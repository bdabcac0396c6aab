import Foundation

// POSIX file access shared by ArrayFormats, Datasets and Store: payloads are read straight into their
// final buffer, and every loop continues after a short transfer and retries after EINTR (a signal
// arriving mid-call). Failures are reported as `failure(reason)`, so each caller throws its own
// error type with strerror's text (or "file shrank while reading").

public enum FileIO {
    /// Fills `buffer` from `offset` with pread(2).
    public static func readFully(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int,
                                 failure: (_ reason: String) -> any Error) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure(n < 0 ? String(cString: strerror(errno)) : "file shrank while reading") }
            done += n
        }
    }

    /// Reads what is available, up to `buffer.count` bytes, with read(2); 0 at the end of the file.
    public static func readSome(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer,
                                failure: (_ reason: String) -> any Error) throws -> Int {
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno != EINTR { throw failure(String(cString: strerror(errno))) }
        }
    }

    /// Writes all of `bytes` with write(2).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, failure: (_ reason: String) -> any Error) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure(String(cString: strerror(errno))) }
            done += n
        }
    }
}

/// A regular file open for reading at offsets; errors go through `failure` like `FileIO`'s.
public struct ReadOnlyFile {
    public let path: String
    public let size: Int
    private let fd: Int32
    private let failure: (_ reason: String) -> any Error

    public init(path: String, failure: @escaping (_ reason: String) -> any Error) throws {
        self.path = path
        self.failure = failure
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            Foundation.close(fd)
            throw failure(reason)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            Foundation.close(fd)
            throw failure("not a regular file")
        }
        size = Int(st.st_size)
    }

    public func close() { Foundation.close(fd) }

    /// `count` bytes from `offset`.
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try FileIO.readFully(fd, into: UnsafeMutableRawBufferPointer(buffer), at: offset, failure: failure)
            initialized = count
        }
    }
}
