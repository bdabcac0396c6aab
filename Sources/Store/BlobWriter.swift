import Crypto
import Foundation

/// Content written to the store's chunks but not yet registered as a blob row.
struct StagedBlob {
    let address: BlobAddress
    let size: Int
    let chunks: [String]
}

/// Streams content into chunks: each full chunk is hashed and committed in its own short
/// transaction (pinned by this connection's write session), so memory stays at one chunk and other
/// processes are never locked out for long. `finish()` gives the staged blob; registering it as a
/// blob row happens in the caller's transaction together with the artifact that references it.
final class BlobWriter {
    private let store: Store
    private let buffer: UnsafeMutableRawBufferPointer
    private var filled = 0
    private var whole = SHA256()
    private var chunks: [String] = []
    private var size = 0

    init(store: Store) {
        self.store = store
        buffer = .allocate(byteCount: store.chunkSize, alignment: 16)
    }

    deinit { buffer.deallocate() }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let take = min(buffer.count - filled, bytes.count - offset)
            UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + take)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            filled += take
            offset += take
            if filled == buffer.count { try flush() }
        }
    }

    func append(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try append($0) } }

    /// Reads `source` to its end (or `limit` bytes) into the blob; returns the number of bytes read.
    @discardableResult
    func append(from source: inout some ByteSource, limit: Int = .max) throws -> Int {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { scratch.deallocate() }
        var total = 0
        while total < limit {
            let want = min(scratch.count, limit - total)
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<want]))
            if n == 0 { break }
            try append(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
            total += n
        }
        return total
    }

    func finish() throws -> StagedBlob {
        if filled > 0 { try flush() }
        return StagedBlob(address: BlobAddress(digest: whole.finalize()), size: size, chunks: chunks)
    }

    private func flush() throws {
        let raw = UnsafeRawBufferPointer(rebasing: buffer[0..<filled])
        whole.update(bufferPointer: raw)
        let hash = Hex.sha256(raw)
        try store.storeChunk(hash: hash, raw)
        chunks.append(hash)
        size += raw.count
        filled = 0
    }
}

extension Store {
    /// Stores one chunk (if new) in its own short transaction, pinned by this connection's write
    /// session. `hash` must be the SHA-256 of `data`. Returns whether the chunk was new.
    @discardableResult
    func storeChunk(hash: String, _ data: UnsafeRawBufferPointer) throws -> Bool {
        let session = try writeSession()
        return try db.immediateTransaction {
            let insert = try db.prepare("INSERT OR IGNORE INTO chunks (hash, size, data) VALUES (?, ?, ?)")
            try insert.bind(.text(hash), at: 1)
            try insert.bind(.integer(Int64(data.count)), at: 2)
            try insert.bindNoCopy(data, at: 3)
            while try insert.step() {}
            insert.reset()
            let inserted = db.changes > 0
            try db.run("INSERT OR IGNORE INTO session_chunks (session, chunk) VALUES (?, ?)",
                       [.integer(session), .text(hash)])
            return inserted
        }
    }

    /// Stages the concatenation of `parts` as one blob's content.
    func stage(_ parts: [UInt8]...) throws -> StagedBlob {
        let writer = BlobWriter(store: self)
        for part in parts { try writer.append(part) }
        return try writer.finish()
    }

    /// Inserts the blob row for staged content (if new) and pins it to this session. Call inside
    /// the transaction that also inserts whatever references the blob.
    func register(_ staged: StagedBlob) throws {
        let session = try writeSession()
        try db.run("INSERT OR IGNORE INTO blobs (address, size, chunk_count) VALUES (?, ?, ?)",
                   [.text(staged.address.description), .integer(Int64(staged.size)), .integer(Int64(staged.chunks.count))])
        if db.changes > 0 {
            for (seq, chunk) in staged.chunks.enumerated() {
                try db.run("INSERT INTO blob_chunks (blob, seq, chunk) VALUES (?, ?, ?)",
                           [.text(staged.address.description), .integer(Int64(seq)), .text(chunk)])
            }
        }
        try db.run("INSERT OR IGNORE INTO session_blobs (session, blob) VALUES (?, ?)",
                   [.integer(session), .text(staged.address.description)])
    }

    /// Stores bytes as a blob and returns its address. The blob is kept while this `Store` is open;
    /// reference it from an artifact before closing, or `gc` will remove it.
    public func putBlob(_ bytes: [UInt8]) throws -> BlobAddress {
        let staged = try stage(bytes)
        try db.immediateTransaction { try register(staged) }
        return staged.address
    }

    /// Stores everything `source` yields as a blob, streaming (memory: one chunk).
    public func putBlob(from source: inout some ByteSource) throws -> BlobAddress {
        let writer = BlobWriter(store: self)
        try writer.append(from: &source)
        let staged = try writer.finish()
        try db.immediateTransaction { try register(staged) }
        return staged.address
    }
}
