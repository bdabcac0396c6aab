import Datasets
import Engine
import LZN
import NN

/// The generation trainer (LZN-ALGORITHM §3.2): encoder → LZN latent (DPM-Solver++ order 3, anchor
/// set = the batch) → rectified-flow decoder loss; with `latent = none` the decoder gets no latent
/// (the plain rectified-flow baseline); with `conditional` (case study 3) the decoder also gets the
/// one-hot label and the label loss of the class-weighted reverse Euler flow toward the learned label
/// anchors is added.
struct GenerationObjective: TrainingObjective {
    let config: TrainingConfig
    let networks: Networks
    let dataset: Dataset

    func loss(indices: [Int], randomness: IterationRandomness, diagnostics: Bool) throws -> ObjectiveOutput {
        let decoder = networks.decoder!
        let batch = indices.count
        var flips = randomness.flips
        let x1 = dataset.batch(indices, randomFlip: &flips)
        var terms: [String: Double] = [:]

        var latent: Tensor?
        if config.latent == .lzn {
            let anchors = networks.encoder!(x1)
            var priorRNG = randomness.prior
            let prior = Tensor.normal([batch, config.latentDim], rng: &priorRNG)
            latent = try lznLatents(anchors: anchors, prior: prior, solver: .dpmSolver(order: 3), steps: config.latentSteps)
        }

        // Image flow (τ = 0 noise, τ = 1 image): τ ~ U[1e-3, 1), x_τ = τ·x1 + (1 − τ)·x0.
        var timeRNG = randomness.times, noiseRNG = randomness.noise, dropoutRNG = randomness.dropout
        let tau = Tensor.uniform([batch], low: 1e-3, high: 1, rng: &timeRNG)
        let x0 = Tensor.normal(x1.shape, rng: &noiseRNG)
        let tauImage = tau.reshaped([batch, 1, 1, 1])
        let xt = tauImage * x1 + (1 - tauImage) * x0
        let labels = config.conditional ? indices.map { dataset.labels![$0] } : []
        let oneHot = config.conditional ? dataset.oneHotLabels(indices, classCount: config.classCount) : nil
        let velocity = decoder(xt: xt, tau: tau, latent: latent, labelsOneHot: oneHot, rng: &dropoutRNG)
        let reconstruction = mseLoss(velocity, x1 - x0)
        terms["recon_loss"] = Double(reconstruction.scalar)
        var total = reconstruction

        if config.conditional, let latent {
            let anchors = networks.labelAnchors!.weight
            let weights: [Float]? = config.classWeights ? try classWeights(labels: labels, classCount: config.classCount) : nil
            let label = try labelLoss(latents: latent, labelAnchors: anchors, labels: labels, weights: weights,
                                      steps: config.labelSteps, cutoff: config.cutoff, form: config.labelLoss)
            terms["label_loss"] = Double(label.scalar)
            total = total + label * Float(config.labelLossWeight)
            if diagnostics {
                let predicted = try classifyLatents(
                    latents: FlowMatrix(rows: batch, columns: config.latentDim, values: latent.values),
                    labelAnchors: FlowMatrix(rows: config.classCount, columns: config.latentDim, values: anchors.values),
                    weights: weights, steps: config.labelSteps)
                terms["label_accuracy"] = Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(batch)
            }
        }
        terms["loss"] = Double(total.scalar)
        return ObjectiveOutput(loss: total, terms: terms)
    }
}
