import Models
import DataParallel
import Engine

/// One rank's part of a data-parallel training step (LZN-ALGORITHM §3.1 split over processes):
/// the global batch of `batch` samples, cut into `ranks` contiguous shards of batch/ranks rows, of
/// which this rank computes `rows`. Every batch-wide random draw is made for the whole batch and
/// sliced, the latent flows run on the all-gathered anchors of the whole batch on every rank, and
/// each rank's loss is its share of the single-process loss, so the ranks' summed gradients are the
/// single-process gradient (up to summation order). With one rank every operation is the identity.
public struct BatchShard {
    public let communicator: Communicator
    /// The global batch B.
    public let batch: Int
    /// This rank's rows of the global batch.
    public let rows: Range<Int>

    /// Throws when the global batch cannot be split evenly.
    public init(communicator: Communicator, batch: Int) throws {
        let ranks = communicator.size
        guard batch % ranks == 0 else {
            throw TrainingError.badConfiguration(["batch \(batch) must be divisible by ranks (\(ranks)): each rank computes batch/ranks rows"])
        }
        self.communicator = communicator
        self.batch = batch
        let per = batch / ranks
        rows = (communicator.rank * per)..<((communicator.rank + 1) * per)
    }

    public var ranks: Int { communicator.size }
    /// True for a single process (no communication at all).
    public var isWhole: Bool { communicator.size == 1 }

    /// The batch's rows of `local` [b, ...] from every rank, [B, ...]; its gradient goes back to
    /// each rank's own rows summed over the ranks.
    func gather(_ local: Tensor) -> Tensor { allGatherRows(local, over: communicator) }

    /// This rank's rows of a batch-wide tensor [B, ...] (differentiable).
    func localRows(_ global: Tensor) -> Tensor { isWhole ? global : global.sliced(axis: 0, range: rows) }

    /// A term every rank computes identically from batch-wide values (a latent-flow loss): each
    /// rank back-propagates 1/ranks of it, so the summed gradient is the term's gradient once.
    func replicated(_ loss: Tensor) -> Tensor { isWhole ? loss : loss * (1 / Float(ranks)) }

    /// A mean over this rank's rows, as its share of the mean over the batch (×rows/B).
    func shareOfMean(_ loss: Tensor) -> Tensor { isWhole ? loss : loss * (Float(rows.count) / Float(batch)) }

    /// Σ over the ranks of each value (the identity for one rank).
    func sum(_ values: [Double]) -> [Double] { communicator.sum(values) }
}
