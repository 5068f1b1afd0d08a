package adopt

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Result counts what an applied migration did to the rows.
type Result struct {
	// Backfilled counts, per table, the rows given a tenant.
	Backfilled map[string]int64
	// Quarantined counts, per table, the rows moved to the quarantine.
	Quarantined map[string]int64
}

// PlanURL connects to url and plans the migration, as [Build] does.
func PlanURL(ctx context.Context, url string, cfg Config) (*Plan, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("adopt: %w: connect: %w", ErrCannotRun, err)
	}
	defer conn.Close(ctx)
	return Build(ctx, conn, cfg)
}

// ApplyURL connects to url as the tables' owner, plans the migration and
// runs it, writing its progress to progress.
func ApplyURL(ctx context.Context, url string, cfg Config, progress io.Writer) (*Plan, Result, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, Result{}, fmt.Errorf("adopt: %w: connect: %w", ErrCannotRun, err)
	}
	defer conn.Close(ctx)
	plan, err := Build(ctx, conn, cfg)
	if err != nil {
		return nil, Result{}, err
	}
	res, err := plan.Apply(ctx, conn, progress)
	return plan, res, err
}

// Apply runs the plan over conn, phase by phase (see the package doc): the
// expand, contract and secure phases each in one transaction, the
// backfill one transaction a batch, each validation on its own.
func (pl *Plan) Apply(ctx context.Context, conn *pgx.Conn, progress io.Writer) (Result, error) {
	res := Result{Backfilled: map[string]int64{}, Quarantined: map[string]int64{}}
	steps := pl.Steps
	for len(steps) > 0 {
		phase := steps[0].Phase
		n := 0
		for n < len(steps) && steps[n].Phase == phase {
			n++
		}
		batch := steps[:n]
		steps = steps[n:]
		fmt.Fprintf(progress, "== %s\n", phase)
		var err error
		switch phase {
		case Backfill:
			for _, s := range batch {
				if err = backfill(ctx, conn, s, res, progress); err != nil {
					break
				}
			}
		case Validate:
			for _, s := range batch {
				fmt.Fprintf(progress, "   %s\n", s.Title)
				if _, err = conn.Exec(ctx, s.SQL); err != nil {
					err = fmt.Errorf("adopt: %s: %w", s.Title, err)
					break
				}
			}
		default:
			err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error { return runInTx(ctx, tx, batch, res, progress) })
		}
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

func runInTx(ctx context.Context, tx pgx.Tx, steps []Step, res Result, progress io.Writer) error {
	var problems []string
	for _, s := range steps {
		if s.Check {
			var n int64
			if err := tx.QueryRow(ctx, s.SQL).Scan(&n); err != nil {
				return fmt.Errorf("adopt: %s: %w", s.Title, err)
			}
			if n > 0 {
				problems = append(problems, fmt.Sprintf("%d: %s", n, s.Problem))
			}
			continue
		}
		if len(problems) > 0 {
			// Checks come before the steps they guard: stop at the first
			// step past a failed one, with every failure found so far.
			return &RefusalError{Problems: problems}
		}
		fmt.Fprintf(progress, "   %s\n", s.Title)
		tag, err := tx.Exec(ctx, s.SQL)
		if err != nil {
			return fmt.Errorf("adopt: %s: %w", s.Title, err)
		}
		if s.Table != "" && tag.RowsAffected() > 0 {
			res.Quarantined[s.Table] += tag.RowsAffected()
			fmt.Fprintf(progress, "     %d row(s) of %s quarantined\n", tag.RowsAffected(), s.Table)
		}
	}
	if len(problems) > 0 {
		return &RefusalError{Problems: problems}
	}
	return nil
}

// backfill repeats a batched step until it updates no row, drawing a
// progress bar against the count of rows it had to fill.
func backfill(ctx context.Context, conn *pgx.Conn, s Step, res Result, progress io.Writer) error {
	var total int64
	if err := conn.QueryRow(ctx, s.Count).Scan(&total); err != nil {
		return fmt.Errorf("adopt: count %s: %w", s.Table, err)
	}
	fmt.Fprintf(progress, "   %s\n", s.Title)
	var done int64
	for {
		tag, err := conn.Exec(ctx, s.SQL)
		if err != nil {
			return fmt.Errorf("adopt: backfill %s: %w", s.Table, err)
		}
		if tag.RowsAffected() == 0 {
			break
		}
		done += tag.RowsAffected()
		fmt.Fprintf(progress, "     %s %d/%d\n", bar(done, total), done, total)
	}
	res.Backfilled[s.Table] += done
	return nil
}

func bar(done, total int64) string {
	const width = 20
	filled := width
	if total > 0 && done < total {
		filled = int(done * width / total)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "]"
}
