// Explicit Runge–Kutta 5(4) (Dormand–Prince) with SciPy `solve_ivp(method="RK45")` semantics:
// same tableau, initial step selection, RMS error norm, step-size control and NFE count.
import Foundation

/// Result of one integration: the state at the end of the interval and the solver's counters.
public struct ODESolution: Sendable {
    public var y: [Double]
    /// Function evaluations, including the initial-step selection and rejected steps (SciPy's `nfev`).
    public var nfe: Int
    public var acceptedSteps: Int
    public var rejectedSteps: Int
}

/// The adaptive RK45 integrator of SciPy (`scipy.integrate.RK45`), float64 state.
public struct DormandPrince45: Sendable {
    public var rtol: Double
    public var atol: Double
    public var maxStep: Double

    public init(rtol: Double = 1e-3, atol: Double = 1e-6, maxStep: Double = .infinity) {
        self.rtol = rtol
        self.atol = atol
        self.maxStep = maxStep
    }

    static let c: [Double] = [0, 1.0 / 5, 3.0 / 10, 4.0 / 5, 8.0 / 9, 1]
    static let a: [[Double]] = [
        [],
        [1.0 / 5],
        [3.0 / 40, 9.0 / 40],
        [44.0 / 45, -56.0 / 15, 32.0 / 9],
        [19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729],
        [9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656],
    ]
    static let b: [Double] = [35.0 / 384, 0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84]
    static let e: [Double] = [-71.0 / 57600, 0, 71.0 / 16695, -71.0 / 1920, 17253.0 / 339200, -22.0 / 525, 1.0 / 40]
    static let safety = 0.9, minFactor = 0.2, maxFactor = 10.0
    static let errorExponent = -1.0 / 5  // −1/(error estimator order 4 + 1)

    /// Integrates dy/dt = f(t, y) from `t0` to `tEnd` (either direction) starting at `y0`.
    /// `f` must return a vector of the same length as its input.
    public func integrate(from t0: Double, to tEnd: Double, y0: [Double],
                          _ f: (Double, [Double]) throws -> [Double]) throws -> ODESolution {
        guard rtol > 0, atol >= 0, rtol.isFinite, atol.isFinite, maxStep > 0 else {
            throw EvaluationError.invalidInput(context: "RK45", detail: "tolerances must be positive and finite (rtol \(rtol), atol \(atol), max step \(maxStep))")
        }
        guard t0.isFinite, tEnd.isFinite else { throw EvaluationError.invalidInput(context: "RK45", detail: "integration bounds must be finite") }
        let n = y0.count
        var nfe = 0
        func evaluate(_ t: Double, _ y: [Double]) throws -> [Double] {
            nfe += 1
            let v = try f(t, y)
            guard v.count == n else {
                throw EvaluationError.invalidInput(context: "RK45", detail: "the right-hand side returned \(v.count) values for a state of \(n)")
            }
            return v
        }
        let rtol = max(self.rtol, 100 * Double.ulpOfOne)  // SciPy raises too-small rtol to 100·eps
        var y = y0
        guard n > 0, t0 != tEnd else { return ODESolution(y: y, nfe: 0, acceptedSteps: 0, rejectedSteps: 0) }
        let direction: Double = tEnd > t0 ? 1 : -1
        var t = t0
        var fy = try evaluate(t, y)
        var hAbs = try initialStep(t0: t0, y0: y, f0: fy, tEnd: tEnd, direction: direction, rtol: rtol, evaluate)
        var k = [[Double]](repeating: [], count: 7)
        var accepted = 0, rejected = 0

        while direction * (t - tEnd) < 0 {
            let minStep = 10 * (direction > 0 ? t.nextUp - t : t - t.nextDown)
            hAbs = min(max(hAbs, minStep), maxStep)
            var stepRejected = false
            while true {
                guard hAbs >= minStep else {
                    throw EvaluationError.numericalFailure(context: "RK45", detail: "required step size at t = \(t) is less than the spacing between numbers")
                }
                var tNew = t + hAbs * direction
                if direction * (tNew - tEnd) > 0 { tNew = tEnd }
                let h = tNew - t
                hAbs = abs(h)
                k[0] = fy
                for s in 1..<6 {
                    k[s] = try evaluate(t + Self.c[s] * h, Self.combine(y, h, k, Self.a[s]))
                }
                let yNew = Self.combine(y, h, k, Self.b)
                k[6] = try evaluate(t + h, yNew)
                let errorNorm = Self.errorNorm(k: k, h: h, y: y, yNew: yNew, rtol: rtol, atol: atol)
                if errorNorm < 1 {
                    var factor = errorNorm == 0 ? Self.maxFactor
                        : min(Self.maxFactor, Self.safety * pow(errorNorm, Self.errorExponent))
                    if stepRejected { factor = min(1, factor) }
                    hAbs *= factor
                    t = tNew
                    y = yNew
                    fy = k[6]
                    accepted += 1
                    break
                }
                guard errorNorm.isFinite else {
                    throw EvaluationError.numericalFailure(context: "RK45", detail: "the right-hand side produced non-finite values at t = \(t)")
                }
                hAbs *= max(Self.minFactor, Self.safety * pow(errorNorm, Self.errorExponent))
                stepRejected = true
                rejected += 1
            }
        }
        return ODESolution(y: y, nfe: nfe, acceptedSteps: accepted, rejectedSteps: rejected)
    }

    /// SciPy's `select_initial_step` (Hairer, Nørsett & Wanner, II.4), one extra evaluation.
    private func initialStep(t0: Double, y0: [Double], f0: [Double], tEnd: Double, direction: Double, rtol: Double,
                             _ evaluate: (Double, [Double]) throws -> [Double]) throws -> Double {
        let interval = abs(tEnd - t0)
        let n = y0.count
        var scale = [Double](repeating: 0, count: n)
        for i in 0..<n { scale[i] = atol + abs(y0[i]) * rtol }
        let d0 = Self.rms(n) { y0[$0] / scale[$0] }
        let d1 = Self.rms(n) { f0[$0] / scale[$0] }
        var h0 = (d0 < 1e-5 || d1 < 1e-5) ? 1e-6 : 0.01 * d0 / d1
        h0 = min(h0, interval)
        var y1 = y0
        for i in 0..<n { y1[i] += h0 * direction * f0[i] }
        let f1 = try evaluate(t0 + h0 * direction, y1)
        let d2 = Self.rms(n) { (f1[$0] - f0[$0]) / scale[$0] } / h0
        let h1 = (d1 <= 1e-15 && d2 <= 1e-15) ? max(1e-6, h0 * 1e-3)
            : pow(0.01 / max(d1, d2), 1.0 / 5)
        return min(100 * h0, h1, interval, maxStep)
    }

    /// y + h·Σ_j coefficients[j]·k[j].
    private static func combine(_ y: [Double], _ h: Double, _ k: [[Double]], _ coefficients: [Double]) -> [Double] {
        var out = y
        out.withUnsafeMutableBufferPointer { o in
            for (j, coefficient) in coefficients.enumerated() where coefficient != 0 {
                let scaled = h * coefficient
                k[j].withUnsafeBufferPointer { kj in
                    for i in 0..<o.count { o[i] += scaled * kj[i] }
                }
            }
        }
        return out
    }

    private static func errorNorm(k: [[Double]], h: Double, y: [Double], yNew: [Double], rtol: Double, atol: Double) -> Double {
        var error = [Double](repeating: 0, count: y.count)
        error.withUnsafeMutableBufferPointer { err in
            for (j, coefficient) in e.enumerated() where coefficient != 0 {
                k[j].withUnsafeBufferPointer { kj in
                    for i in 0..<err.count { err[i] += coefficient * kj[i] }
                }
            }
        }
        return y.withUnsafeBufferPointer { yOld in
            yNew.withUnsafeBufferPointer { yN in
                error.withUnsafeBufferPointer { err in
                    rms(err.count) { i in h * err[i] / (atol + max(abs(yOld[i]), abs(yN[i])) * rtol) }
                }
            }
        }
    }

    /// √(mean of squares) of `count` terms, SciPy's `norm(x) / sqrt(x.size)`.
    static func rms(_ count: Int, _ term: (Int) -> Double) -> Double {
        var sum = 0.0
        for i in 0..<count { let v = term(i); sum += v * v }
        return (sum / Double(count)).squareRoot()
    }
}
