extension ModelScheduler {
    /// Leases `key`, runs `body` with the lease, and always releases it afterwards — also when
    /// `body` throws or the task is cancelled.
    ///
    /// `body` runs in the caller's isolation (not on the scheduler actor), so long generations never
    /// hold up scheduling. See `lease(_:estimateBytes:pin:limitBytes:)` for waiting rules and errors.
    public func withLease<T>(
        _ key: ModelKey, estimateBytes: Int64, pin: Bool = false, limitBytes: Int64? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (ModelLease<Resource>) async throws -> T
    ) async throws -> T {
        let lease = try await self.lease(key, estimateBytes: estimateBytes, pin: pin, limitBytes: limitBytes)
        do {
            let result = try await body(lease)
            await release(lease)
            return result
        } catch {
            await release(lease)
            throw error
        }
    }
}
