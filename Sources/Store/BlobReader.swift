import ArrayFormats
import Crypto
import Foundation

extension Store {
    /// Streams a blob's content chunk by chunk to `body`, verifying each chunk's hash, the chunk
    /// count, the size and finally the whole content's hash. `artifact` names the owner in errors.
    /// A failure can surface after `body` saw earlier chunks: writers of partial output must discard it.
    public func streamBlob(_ address: BlobAddress, artifact: String? = nil,
                           _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try db.readTransaction {
            func corrupt(_ detail: String) -> StoreError {
                .corruptBlob(address: address, artifact: artifact, detail: detail)
            }
            guard let (size, chunkCount) = try db.queryOne(
                "SELECT size, chunk_count FROM blobs WHERE address = ?", [.text(address.description)],
                row: { (Int($0.int(0)), Int($0.int(1))) })
            else { throw artifact.map { corrupt("the blob row is missing (\($0))") } ?? StoreError.blobNotFound(address) }
            // A fresh statement: `body` may use the cached ones.
            let rows = try Statement(database: db, sql: """
                SELECT bc.seq, bc.chunk, c.data IS NULL, c.data FROM blob_chunks AS bc
                LEFT JOIN chunks AS c ON c.hash = bc.chunk WHERE bc.blob = ? ORDER BY bc.seq
                """)
            defer { rows.finalize() }
            try rows.bind([.text(address.description)])
            var whole = SHA256()
            var seen = 0, bytes = 0
            while try rows.step() {
                guard rows.int(0) == Int64(seen) else { throw corrupt("chunk \(seen) is missing") }
                let hash = rows.text(1)
                guard rows.int(2) == 0 else { throw corrupt("chunk \(seen) (\(hash)) is missing") }
                let data = rows.blobBytes(3)
                guard Hex.sha256(data) == hash else {
                    throw corrupt("chunk \(seen) does not match its hash \(hash)")
                }
                whole.update(bufferPointer: data)
                try body(data)
                seen += 1
                bytes += data.count
            }
            guard seen == chunkCount else { throw corrupt("has \(seen) chunks, expected \(chunkCount)") }
            guard bytes == size else { throw corrupt("holds \(bytes) bytes, expected \(size)") }
            guard BlobAddress(digest: whole.finalize()) == address else {
                throw corrupt("content does not hash to its address")
            }
        }
    }

    /// A blob's whole content, verified.
    public func readBlob(_ address: BlobAddress, artifact: String? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        try streamBlob(address, artifact: artifact) { out.append(contentsOf: $0) }
        return out
    }

    /// Streams a blob into a file, atomically: the file appears only once every byte verified.
    func writeBlob(_ address: BlobAddress, artifact: String?, to path: String) throws {
        let partial = path + ".partial-\(getpid())"
        let fd = Foundation.open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path: path, reason: String(cString: strerror(errno))) }
        do {
            try streamBlob(address, artifact: artifact) { data in
                try FileIO.writeAll(fd, data) { StoreError.io(path: path, reason: $0) }
            }
            guard Foundation.close(fd) == 0 else { throw StoreError.io(path: path, reason: String(cString: strerror(errno))) }
            guard rename(partial, path) == 0 else { throw StoreError.io(path: path, reason: String(cString: strerror(errno))) }
        } catch {
            Foundation.close(fd)
            unlink(partial)
            throw error
        }
    }
}
