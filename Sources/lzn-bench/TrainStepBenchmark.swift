import Dispatch
import Engine
import LZN
import NN

/// One LZN generation training step at preset s on 28×28×1 inputs, exactly as
/// `torch_reference.py` times it: enc-s → 20-step Euler latent flow (anchor set = batch) →
/// unet-s rectified-flow loss → backward → global-norm clip 1 → Adam (lr 1e-4).
struct TrainStepBenchmark {
    let batch: Int
    let encoder: Encoder
    let decoder: UNet
    let optimizer: Adam
    let images: Tensor
    let parameters: [Tensor]

    init(batch: Int) throws {
        self.batch = batch
        var rng = Philox(seed: 0)
        encoder = Encoder(preset: .s, imageChannels: 1, imageSize: 28, latentDim: 32, rng: &rng)
        decoder = UNet(preset: .s, imageChannels: 1, imageSize: 28, latentDim: 32, numClasses: 0, rng: &rng)
        parameters = encoder.parameters() + decoder.parameters()
        optimizer = Adam(groups: [ParameterGroup(name: "all", parameters: parameters, learningRate: 1e-4)])
        images = Tensor.uniform([batch, 1, 28, 28], low: -1, high: 1, rng: &rng)
    }

    /// Median step time and the median time of each phase.
    func measure(repeats: Int) throws -> (total: Double, phases: [(String, Double)]) {
        let names = ["encoder_forward", "latent_flow_forward", "decoder_forward_and_loss", "backward", "clip", "adam"]
        var samples: [[Double]] = Array(repeating: [], count: names.count)
        var totals: [Double] = []
        var rng = Philox(seed: 1)
        for repeatIndex in 0...repeats {
            var marks = [DispatchTime.now().uptimeNanoseconds]
            func mark() { marks.append(DispatchTime.now().uptimeNanoseconds) }
            for parameter in parameters { parameter.zeroGrad() }
            let anchors = encoder(images)
            mark()
            let latents = try lznLatents(anchors: anchors, prior: Tensor.normal(anchors.shape, rng: &rng), solver: .euler, steps: 20)
            mark()
            let tau = Tensor.uniform([batch], low: 0, high: 1, rng: &rng)
            let x0 = Tensor.normal(images.shape, rng: &rng)
            let t4 = tau.reshaped([batch, 1, 1, 1])
            let xt = t4 * images + (1 - t4) * x0
            let loss = mseLoss(decoder(xt: xt, tau: tau, latent: latents, labelsOneHot: nil), images - x0)
            mark()
            loss.backward()
            mark()
            clipGradNorm(parameters, maxNorm: 1)
            mark()
            optimizer.step()
            mark()
            guard repeatIndex > 0 else { continue }  // warm-up
            for i in 0..<names.count { samples[i].append(Double(marks[i + 1] - marks[i]) / 1e9) }
            totals.append(Double(marks.last! - marks[0]) / 1e9)
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        return (median(totals), zip(names, samples.map(median)).map { ($0, $1) })
    }

    /// Median time of one decoder forward pass without a graph.
    func decoderForward(repeats: Int) -> Double {
        var rng = Philox(seed: 2)
        let tau = Tensor.uniform([batch], low: 0, high: 1, rng: &rng)
        let latent = Tensor.normal([batch, 32], rng: &rng)
        return medianSeconds(repeats: repeats) {
            _ = withoutGrad { decoder(xt: images, tau: tau, latent: latent, labelsOneHot: nil) }
        }
    }
}
