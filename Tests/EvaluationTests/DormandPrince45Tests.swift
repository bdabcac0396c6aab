import XCTest
@testable import Evaluation

final class DormandPrince45Tests: XCTestCase {
    /// SciPy 1.17 `solve_ivp(lambda t, y: -0.7*y, (0, 3), [1, 2], method="RK45", rtol=…, atol=…)`.
    func testExponentialDecayMatchesSciPyStateAndNFE() throws {
        let cases: [(rtol: Double, atol: Double, nfe: Int, steps: Int, y: [Double])] = [
            (1e-3, 1e-6, 26, 4, [0.12253921346614531, 0.24507842693229062]),
            (1e-5, 1e-5, 44, 7, [0.1224582149784634, 0.24491642995692681]),
            (1e-8, 1e-8, 122, 20, [0.1224564298721277, 0.24491285974425539]),
        ]
        for c in cases {
            let solution = try DormandPrince45(rtol: c.rtol, atol: c.atol).integrate(from: 0, to: 3, y0: [1, 2]) { _, y in
                y.map { -0.7 * $0 }
            }
            XCTAssertEqual(solution.nfe, c.nfe, "rtol \(c.rtol)")
            XCTAssertEqual(solution.acceptedSteps, c.steps, "rtol \(c.rtol)")
            XCTAssertEqual(solution.nfe, 2 + 6 * (solution.acceptedSteps + solution.rejectedSteps))
            for i in 0..<2 { XCTAssertEqual(solution.y[i], c.y[i], accuracy: 1e-13, "rtol \(c.rtol)") }
            let exact = exp(-0.7 * 3.0)
            XCTAssertEqual(solution.y[0], exact, accuracy: 20 * (c.atol + c.rtol * exact))
        }
    }

    /// SciPy on the damped oscillator y' = [[0, 1], [−1, −0.1]]·y integrated backwards from t = 2 to 0.
    func testBackwardLinearSystemMatchesSciPy() throws {
        let cases: [(rtol: Double, atol: Double, nfe: Int, y: [Double])] = [
            (1e-3, 1e-6, 26, [-1.0119558446098471, 0.80345523878790059]),
            (1e-6, 1e-9, 74, [-1.0114329830473046, 0.80382044661009766]),
        ]
        for c in cases {
            let solution = try DormandPrince45(rtol: c.rtol, atol: c.atol).integrate(from: 2, to: 0, y0: [1, 0.5]) { _, y in
                [y[1], -y[0] - 0.1 * y[1]]
            }
            XCTAssertEqual(solution.nfe, c.nfe)
            for i in 0..<2 { XCTAssertEqual(solution.y[i], c.y[i], accuracy: 1e-12) }
        }
    }

    func testRotationReachesClosedFormAndTighterToleranceCostsMoreEvaluations() throws {
        var previousNFE = 0
        for tolerance in [1e-4, 1e-7, 1e-10] {
            let solution = try DormandPrince45(rtol: tolerance, atol: tolerance).integrate(from: 0, to: 2 * Double.pi, y0: [1, 0]) { _, y in
                [-y[1], y[0]]
            }
            XCTAssertEqual(solution.y[0], 1, accuracy: 100 * tolerance)
            XCTAssertEqual(solution.y[1], 0, accuracy: 100 * tolerance)
            XCTAssertGreaterThan(solution.nfe, previousNFE)
            previousNFE = solution.nfe
        }
    }

    func testBadRightHandSideAndTolerancesAreErrors() {
        XCTAssertThrowsError(try DormandPrince45().integrate(from: 0, to: 1, y0: [1, 2]) { _, _ in [1] }) { error in
            XCTAssertTrue("\(error)".contains("returned 1 values for a state of 2"), "\(error)")
        }
        XCTAssertThrowsError(try DormandPrince45(rtol: -1, atol: 0).integrate(from: 0, to: 1, y0: [1]) { _, y in y })
        XCTAssertThrowsError(try DormandPrince45().integrate(from: 0, to: 1, y0: [1]) { _, _ in [.nan] })
    }
}
