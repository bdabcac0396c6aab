import CMPI
import Foundation

/// The MPI job this process belongs to (started by `mpirun`, `mpiexec` or `srun`): MPI_COMM_WORLD
/// with errors returned instead of aborting silently, so a failed collective names its rank and
/// call before the job is aborted. MPI calls are made from one thread (MPI_THREAD_FUNNELED); the
/// engine's worker threads never call MPI.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let localSize: Int
    public private(set) var communicationSeconds = 0.0
    private let comm: MPI_Comm

    /// MPI_Init_thread, then the world communicator. Call once per process, before anything else
    /// uses MPI; `finalize()` before a normal exit.
    public init() {
        var provided: Int32 = 0
        let status = MPI_Init_thread(nil, nil, lzn_mpi_thread_funneled(), &provided)
        guard status == lzn_mpi_success() else {
            fputs("MPI_Init_thread failed with code \(status)\n", stderr)
            exit(1)
        }
        comm = lzn_mpi_comm_world()
        MPI_Comm_set_errhandler(comm, lzn_mpi_errors_return())
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(comm, &rank)
        MPI_Comm_size(comm, &size)
        self.rank = Int(rank)
        self.size = Int(size)
        var local = lzn_mpi_comm_null()
        var localSize: Int32 = 1
        if MPI_Comm_split_type(comm, lzn_mpi_comm_type_shared(), rank, lzn_mpi_info_null(), &local) == lzn_mpi_success() {
            MPI_Comm_size(local, &localSize)
            MPI_Comm_free(&local)
        }
        self.localSize = Int(localSize)
    }

    /// MPI_Finalize (after the last collective of every rank).
    public func finalize() {
        MPI_Finalize()
    }

    private func check(_ status: Int32, _ call: String) {
        guard status != lzn_mpi_success() else { return }
        var buffer = [CChar](repeating: 0, count: Int(lzn_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(status, &buffer, &length)
        let reason = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        abort("rank \(rank): \(call) failed: \(reason) (a peer rank probably died)", code: 1)
    }

    private func count(_ n: Int, _ call: String) -> Int32 {
        guard let value = Int32(exactly: n) else { abort("rank \(rank): \(call) of \(n) elements exceeds MPI's int count", code: 1) }
        return value
    }

    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Float>) {
        guard !values.isEmpty else { return }
        let n = count(values.count, "MPI_Allreduce")
        let status = timed(&communicationSeconds) {
            MPI_Allreduce(lzn_mpi_in_place(), values.baseAddress, n, lzn_mpi_float(), lzn_mpi_sum(), comm)
        }
        check(status, "MPI_Allreduce(\(values.count) floats)")
    }

    public func allreduceSum(_ values: UnsafeMutableBufferPointer<Double>) {
        guard !values.isEmpty else { return }
        let n = count(values.count, "MPI_Allreduce")
        let status = timed(&communicationSeconds) {
            MPI_Allreduce(lzn_mpi_in_place(), values.baseAddress, n, lzn_mpi_double(), lzn_mpi_sum(), comm)
        }
        check(status, "MPI_Allreduce(\(values.count) doubles)")
    }

    public func allgather(_ local: UnsafeBufferPointer<Float>, into global: UnsafeMutableBufferPointer<Float>) {
        precondition(global.count == local.count * size, "allgather: \(global.count) floats for \(size) × \(local.count)")
        let n = count(local.count, "MPI_Allgather")
        let status = timed(&communicationSeconds) {
            MPI_Allgather(local.baseAddress, n, lzn_mpi_float(), global.baseAddress, n, lzn_mpi_float(), comm)
        }
        check(status, "MPI_Allgather(\(local.count) floats per rank)")
    }

    public func reduceScatterSum(_ global: UnsafeBufferPointer<Float>, into local: UnsafeMutableBufferPointer<Float>) {
        precondition(global.count == local.count * size, "reduceScatterSum: \(global.count) floats for \(size) × \(local.count)")
        let n = count(local.count, "MPI_Reduce_scatter_block")
        let status = timed(&communicationSeconds) {
            MPI_Reduce_scatter_block(global.baseAddress, local.baseAddress, n, lzn_mpi_float(), lzn_mpi_sum(), comm)
        }
        check(status, "MPI_Reduce_scatter_block(\(local.count) floats per rank)")
    }

    public func broadcast(_ bytes: inout [UInt8], root: Int) {
        var length = Int64(bytes.count)
        var status = timed(&communicationSeconds) { MPI_Bcast(&length, 1, lzn_mpi_long_long(), Int32(root), comm) }
        check(status, "MPI_Bcast(length)")
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(length)) }
        // In pieces below MPI's int count, so checkpoints of any size go through.
        let piece = 1 << 30
        var offset = 0
        while offset < bytes.count {
            let n = Int32(min(piece, bytes.count - offset))
            status = bytes.withUnsafeMutableBytes { raw in
                timed(&communicationSeconds) { MPI_Bcast(raw.baseAddress! + offset, n, lzn_mpi_byte(), Int32(root), comm) }
            }
            check(status, "MPI_Bcast(\(bytes.count) bytes)")
            offset += Int(n)
        }
    }

    public func abort(_ message: String, code: Int32) -> Never {
        fputs(message + "\n", stderr)
        MPI_Abort(comm, code)
        exit(code)
    }
}
