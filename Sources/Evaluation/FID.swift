// Fréchet distance between two sets of feature vectors (LZN-ALGORITHM.md §6.1), in float64.
import ArrayFormats
import CBLAS
import Engine

/// Mean and unbiased (N−1) covariance of a set of float32 feature rows, accumulated in float64.
public struct FeatureStatistics: Equatable, Sendable {
    public let dimension: Int
    public let count: Int
    public let mean: [Double]
    /// Row-major `dimension × dimension`, both triangles filled.
    public let covariance: [Double]

    public init(dimension: Int, count: Int, mean: [Double], covariance: [Double]) {
        self.dimension = dimension
        self.count = count
        self.mean = mean
        self.covariance = covariance
    }

    /// Statistics of `rows` feature vectors of length `dimension`, stored row-major in `features`.
    public init(features: UnsafeBufferPointer<Float>, rows: Int, dimension: Int) throws {
        guard rows >= 2, dimension >= 1 else {
            throw EvaluationError.invalidInput(context: "FID", detail: "need at least 2 feature rows of dimension ≥ 1, got \(rows)×\(dimension)")
        }
        guard features.count == rows * dimension else {
            throw EvaluationError.invalidInput(context: "FID", detail: "feature buffer holds \(features.count) values, expected \(rows)×\(dimension)")
        }
        guard let base = features.baseAddress else { throw EvaluationError.invalidInput(context: "FID", detail: "empty feature buffer") }
        for value in features where !value.isFinite {
            throw EvaluationError.invalidInput(context: "FID", detail: "features contain a non-finite value (\(value))")
        }
        let mean = Self.columnMeans(base, rows: rows, dimension: dimension)
        let covariance = Self.centredCovariance(base, rows: rows, dimension: dimension, mean: mean)
        self.init(dimension: dimension, count: rows, mean: mean, covariance: covariance)
    }

    public init(features: [Float], rows: Int, dimension: Int) throws {
        self = try features.withUnsafeBufferPointer { try FeatureStatistics(features: $0, rows: rows, dimension: dimension) }
    }

    private static func columnMeans(_ x: UnsafePointer<Float>, rows: Int, dimension: Int) -> [Double] {
        var sums = [Double](repeating: 0, count: dimension)
        sums.withUnsafeMutableBufferPointer { s in
            for r in 0..<rows {
                let row = x + r * dimension
                for c in 0..<dimension { s[c] += Double(row[c]) }
            }
            for c in 0..<dimension { s[c] /= Double(rows) }
        }
        return sums
    }

    /// Σ = (X−μ)ᵀ(X−μ)/(N−1), centred rows converted to float64 in blocks and accumulated with dsyrk.
    private static func centredCovariance(_ x: UnsafePointer<Float>, rows: Int, dimension: Int, mean: [Double]) -> [Double] {
        // OpenBLAS's kernels and thread count are set up by the engine, which an FID-only process never touches.
        BLASKernelSelection.ensureSelected()
        let d = dimension
        let blockRows = max(1, min(rows, (1 << 20) / d))
        var covariance = [Double](repeating: 0, count: d * d)
        var block = [Double](repeating: 0, count: blockRows * d)
        covariance.withUnsafeMutableBufferPointer { cov in
            block.withUnsafeMutableBufferPointer { blk in
                mean.withUnsafeBufferPointer { mu in
                    var start = 0
                    while start < rows {
                        let n = min(blockRows, rows - start)
                        for r in 0..<n {
                            let src = x + (start + r) * d
                            let dst = blk.baseAddress! + r * d
                            for c in 0..<d { dst[c] = Double(src[c]) - mu[c] }
                        }
                        // Row-major C (d×d) += Bᵀ B: upper triangle of C.
                        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(n),
                                    1.0, blk.baseAddress, Int32(d), 1.0, cov.baseAddress, Int32(d))
                        start += n
                    }
                }
                let scale = 1.0 / Double(rows - 1)
                for i in 0..<d {
                    for j in i..<d {
                        let v = cov[i * d + j] * scale
                        cov[i * d + j] = v
                        cov[j * d + i] = v
                    }
                }
            }
        }
        return covariance
    }
}

public enum FID {
    /// ‖μ₁−μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2 Tr((Σ₁Σ₂)^{1/2}).
    ///
    /// Tr((Σ₁Σ₂)^{1/2}) = Tr((S Σ₂ S)^{1/2}) with S = Σ₁^{1/2}: S Σ₂ S is symmetric positive
    /// semi-definite, so both roots come from symmetric eigendecompositions (negative eigenvalues
    /// from rounding clamped to zero) instead of a general, unstable square root of Σ₁Σ₂.
    public static func distance(_ a: FeatureStatistics, _ b: FeatureStatistics) throws -> Double {
        guard a.dimension == b.dimension else {
            throw EvaluationError.invalidInput(context: "FID", detail: "feature dimensions differ: \(a.dimension) vs \(b.dimension)")
        }
        let d = a.dimension
        var meanTerm = 0.0
        for i in 0..<d { let diff = a.mean[i] - b.mean[i]; meanTerm += diff * diff }
        var traceTerm = 0.0
        for i in 0..<d { traceTerm += a.covariance[i * d + i] + b.covariance[i * d + i] }

        let rootA = try SymmetricMatrix.squareRoot(a.covariance, dimension: d)
        let product = SymmetricMatrix.sandwich(rootA, b.covariance, dimension: d)
        let eigenvalues = try SymmetricMatrix.eigenvalues(product, dimension: d)
        let traceRoot = eigenvalues.reduce(0.0) { $0 + ($1 > 0 ? $1.squareRoot() : 0) }
        return meanTerm + traceTerm - 2 * traceRoot
    }

    /// FID of two row-major float32 feature matrices.
    public static func distance(featuresA: [Float], rowsA: Int, featuresB: [Float], rowsB: Int, dimension: Int) throws -> Double {
        try distance(FeatureStatistics(features: featuresA, rows: rowsA, dimension: dimension),
                     FeatureStatistics(features: featuresB, rows: rowsB, dimension: dimension))
    }
}

extension FeatureStatistics {
    /// Statistics of a rank-2 float32 or float64 array (rows = samples); `source` names it in errors.
    public init(array: NDArray, source: String) throws {
        do {
            guard array.shape.count == 2 else {
                throw EvaluationError.invalidInput(context: "FID", detail: "expected a 2-D feature matrix (samples × features), got shape \(array.shape)")
            }
            guard array.dtype == .float32 || array.dtype == .float64 else {
                throw EvaluationError.invalidInput(context: "FID", detail: "expected float32 or float64 features, got \(array.dtype.rawValue)")
            }
            try self.init(features: array.floats(), rows: array.shape[0], dimension: array.shape[1])
        } catch let error as EvaluationError {
            throw EvaluationError.source(source, cause: error)
        }
    }
}
