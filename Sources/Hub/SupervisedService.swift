import ServiceLifecycle

/// How long a supervisor waits before restarting a failed stage: `initial` after the first
/// failure, multiplied by `multiplier` after each further one, never more than `maximum`. A run
/// that lasted `healthyAfter` or longer counts as recovered, and the next failure waits `initial`.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var multiplier: Int
    public var healthyAfter: Duration

    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(30), multiplier: Int = 2,
                healthyAfter: Duration = .seconds(60)) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.healthyAfter = healthyAfter
    }

    /// The wait after the `failures`-th failure in a row (1-based): 1 s, 2 s, 4 s, … 30 s, 30 s.
    public func delay(afterFailures failures: Int) -> Duration {
        var delay = initial
        for _ in 1..<max(failures, 1) {
            delay = delay * multiplier
            if delay >= maximum { return maximum }
        }
        return min(delay, maximum)
    }
}

/// Runs one stage of the daemon (any ServiceLifecycle `Service`: the speech capture loop, say)
/// and restarts it with `Backoff` when it throws, or when it returns while nobody asked it to
/// stop. Each failure is logged once, as one warning naming the stage, the reason and the wait.
/// The supervisor itself never fails, so the rest of the `ServiceGroup` keeps working; it returns
/// on graceful shutdown or cancellation (waits between restarts are cut short).
public struct SupervisedService: Service, CustomStringConvertible {
    public let name: String
    public let backoff: Backoff
    private let service: any Service
    private let logger: HubLogger

    public init(_ service: any Service, name: String, backoff: Backoff = Backoff(), logger: HubLogger) {
        self.service = service
        self.name = name
        self.backoff = backoff
        self.logger = logger
    }

    public var description: String { "SupervisedService(\(name))" }

    public func run() async throws {
        let clock = ContinuousClock()
        var failures = 0
        while !Self.stopping {
            let started = clock.now
            let reason: String
            do {
                try await service.run()
                if Self.stopping { return }
                reason = "it returned without being asked to stop"
            } catch {
                if Self.stopping {
                    logger.warning("stage failed while stopping", ["stage": name, "error": "\(error)"])
                    return
                }
                reason = "\(error)"
            }
            if clock.now - started >= backoff.healthyAfter { failures = 0 }
            failures += 1
            let delay = backoff.delay(afterFailures: failures)
            logger.warning("stage failed; restarting", [
                "stage": name, "error": reason, "failures": "\(failures)", "restart_in_s": "\(Self.seconds(delay))",
            ])
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            } catch {
                return
            }
        }
    }

    private static var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    private static func seconds(_ d: Duration) -> String {
        let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        return s == s.rounded() ? "\(Int(s))" : "\((s * 1000).rounded() / 1000)"
    }
}
