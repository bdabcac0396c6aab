import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One `run` per store: an exclusive `flock` on `STORE.lock`. The kernel drops the lock when its
/// holder dies (even by SIGKILL), so a dead scheduler never leaves the store locked. The file's
/// text says who holds it (pid, host, pipeline, start time) for the message a waiting run prints.
public final class StoreLock {
    public let path: String
    private let fd: Int32

    private init(path: String, fd: Int32) { self.path = path; self.fd = fd }

    public enum Outcome {
        case acquired(StoreLock)
        /// Held by someone else (and `wait` was false); the holder's description.
        case busy(holder: String)
    }

    public static func lockPath(forStore store: String) -> String { store + ".lock" }

    /// Takes the lock. When busy and `wait` is true, calls `onWait` with the holder's
    /// description once and blocks until the lock is free.
    public static func acquire(store: String, purpose: String, wait: Bool,
                               onWait: (String) -> Void = { _ in }) throws -> Outcome {
        let path = lockPath(forStore: store)
        try? FileManager.default.createDirectory(atPath: (store as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw PipelineError.storeLock(path: path, operation: .open, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = readHolder(fd)
            guard wait else { close(fd); return .busy(holder: holder) }
            onWait(holder)
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw PipelineError.storeLock(path: path, operation: .lock, errno: code)
                }
            }
        }
        let host = ProcessInfo.processInfo.hostName
        let started = ISO8601DateFormatter().string(from: Date())
        let text = "pid \(getpid()) on \(host), \(purpose), since \(started)\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
        return .acquired(StoreLock(path: path, fd: fd))
    }

    private static func readHolder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = pread(fd, &buffer, buffer.count, 0)
        let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return text.isEmpty ? "another process" : text
    }

    public func release() {
        _ = ftruncate(fd, 0)
        _ = flock(fd, LOCK_UN)
        close(fd)
    }

}
