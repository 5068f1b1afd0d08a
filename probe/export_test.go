package probe

import "context"

// ReadBackB prepares a run as cfg describes (sign-ins, learning both
// tenants) and returns the function that reads tenant B's data back, as
// the matrix does after every variant.
func ReadBackB(ctx context.Context, cfg Config) (func() (string, error), error) {
	p, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return func() (string, error) { return p.fingerprintB(ctx) }, nil
}

// RunFlows prepares a run as cfg describes and runs the flows alone.
func RunFlows(ctx context.Context, cfg Config) (*Report, error) {
	p, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.flows(ctx)
	return p.report, nil
}
