import TestSupport
import XCTest
@testable import LZN

final class FlowScheduleTests: XCTestCase {
    func testDPMTimeGridAndLambdaMatchChecklist() {  // C12
        let schedule = FlowSchedule.dpmSolver(order: 3, steps: 20, start: 1e-3, end: 1 - 1e-3)
        XCTAssertEqual(schedule.times.count, 21)
        assertClose(Array(schedule.times.prefix(4)), [0.001, 0.0509, 0.1008, 0.1507], tolerance: 1e-12)
        assertClose(Array(schedule.times.suffix(3)), [0.8992, 0.9491, 0.999], tolerance: 1e-12)
        let lambda = schedule.times.map { log1p(-$0) - log($0) }
        assertClose([lambda[0], lambda[1], lambda[2], lambda[19], lambda[20]],
                    [6.906755, 2.925651, 2.188367, -2.925651, -6.906755], tolerance: 1e-6)
        XCTAssertEqual(schedule.updates.map(\.order), [1, 2] + Array(repeating: 3, count: 18))
        let short = FlowSchedule.dpmSolver(order: 3, steps: 5, start: 1e-3, end: 1 - 1e-3)
        XCTAssertEqual(short.updates.map(\.order), [1, 2, 3, 2, 1], "lower_order_final below 10 steps")
    }

    /// An order-1 DPM-Solver++ step is exactly an Euler step x + (t − s)·v(x, s) (§1.6, C7).
    func testOrderOneDPMStepIsAnEulerStep() throws {
        let s = 0.3, t = 0.42
        let update = FlowSchedule.dpmSolver(order: 1, steps: 1, start: s, end: t).updates[0]
        let x = FlowMatrix<Double>([[0.5, -0.2], [1.5, 0.7]])
        let field = try LatentPosterior(x: x, anchors: ChecklistData.anchors, t: s)
        for i in 0..<4 {
            let dpm = x.values[i] + update.gamma * (x.values[i] - field.mean.values[i])
            XCTAssertEqual(dpm, x.values[i] + (t - s) * field.velocity.values[i], accuracy: 1e-14)
        }
        let euler = FlowSchedule.eulerForward(steps: 20, eps: 1e-4)
        XCTAssertEqual(euler.times.last!, 1, accuracy: 1e-12)
        XCTAssertEqual(FlowSchedule.eulerReverse(steps: 20).times[19], 0.05, accuracy: 1e-12)
    }

    func testSolverNames() {
        XCTAssertEqual(LatentSolver(name: "euler"), .euler)
        XCTAssertEqual(LatentSolver(name: "dpm2"), .dpmSolver(order: 2))
        XCTAssertNil(LatentSolver(name: "rk45"))
        XCTAssertEqual(LatentSolver.dpmSolver(order: 3).description, "dpm3")
    }
}
