package app

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/firebreak-hq/firebreak/incident"
	"github.com/firebreak-hq/firebreak/postmortem"
)

// reviewPoller is what the review poll needs from GitHub.
type reviewPoller interface {
	IssueNumber(url string) (int, bool)
	Review(ctx context.Context, number int, etag string) (postmortem.ReviewState, error)
}

var _ reviewPoller = (*postmortem.GitHub)(nil)

const (
	// ReviewPollEvery is how often postmortem issues awaiting their review
	// are polled. Each poll is a conditional request: an unchanged issue
	// is answered 304 and costs no rate limit, so even many pending
	// reviews stay far below GitHub's 5,000 requests an hour.
	ReviewPollEvery = 10 * time.Minute
	// reviewHorizon bounds how far back (by declaration) closed incidents
	// are polled: a review is due within 10 business days of the close.
	reviewHorizon = 90 * 24 * time.Hour
	// metaReviewETag keeps the last ETag of the postmortem issue beside
	// the incident, so a restart goes on with conditional requests.
	metaReviewETag = "review_etag"
)

// startReviewPolls polls every ReviewPollEvery until ctx ends; the
// returned channel is closed when it has stopped.
func (a *App) startReviewPolls(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	if a.github == nil && a.githubPrivate == nil {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		t := time.NewTicker(ReviewPollEvery)
		defer t.Stop()
		for {
			if _, err := a.PollReviews(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("polling postmortem reviews", zap.Error(err))
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return done
}

// PollReviews asks GitHub, once per closed incident whose postmortem
// review is pending, whether its issue was closed or labelled reviewed,
// and records the review when it was; the review reminders stop then.
// It returns how many reviews it recorded.
func (a *App) PollReviews(ctx context.Context) (int, error) {
	if a.github == nil && a.githubPrivate == nil {
		return 0, nil
	}
	now := a.now()
	closed, err := a.DB.RecentClosed(now.Add(-reviewHorizon))
	if err != nil {
		return 0, err
	}
	var errs []error
	recorded := 0
	for _, inc := range closed {
		if !inc.ReviewPending() {
			continue
		}
		gh, num, ok := a.reviewIssue(inc.PostmortemURL)
		if !ok {
			continue
		}
		etag, err := a.DB.Meta(inc.Number, metaReviewETag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := gh.Review(ctx, num, etag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.ETag != "" && st.ETag != etag {
			if err := a.DB.SetMeta(inc.Number, metaReviewETag, st.ETag); err != nil {
				errs = append(errs, err)
			}
		}
		if st.Reviewed == "" {
			continue
		}
		_, err = a.DB.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			return incident.RecordReviewed(cur, st.Reviewed, a.now())
		})
		switch {
		case incident.HasCode(err, incident.CodeNoop):
		case err != nil:
			errs = append(errs, err)
		default:
			recorded++
			a.log.Info("postmortem reviewed", zap.String("incident", inc.ID()), zap.String("how", st.Reviewed))
		}
	}
	return recorded, errors.Join(errs...)
}

// reviewIssue is the repository and number of a postmortem issue filed in
// GITHUB_REPO or GITHUB_PRIVATE_REPO.
func (a *App) reviewIssue(url string) (reviewPoller, int, bool) {
	for _, gh := range []reviewPoller{a.github, a.githubPrivate} {
		if gh == nil {
			continue
		}
		if n, ok := gh.IssueNumber(url); ok {
			return gh, n, true
		}
	}
	return nil, 0, false
}
