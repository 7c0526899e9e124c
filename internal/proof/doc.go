// Package proof turns the project's benchmarks and reliability tests into
// the two tables of docs/ARCHITECTURE.md (Proof, Performance budgets): `make bench` and `make
// reliability` (cmd/letapis-proof) run them and print one table each.
//
// For the benchmarks it parses the standard `go test -bench` output,
// takes the median of each metric over the runs, and holds every row of
// the performance budget to its budget and, where one is measured in the
// same run, to its limit (raw age encryption, a raw fsync, a raw HTTP
// transfer of the same bytes on loopback).
//
// For the reliability tests it gives the tests a way to report their
// counts (Report), a plaintext scanner (Scan), and the list of fuzz
// targets (FuzzTargets); the driver collects the counts into a table.
package proof
