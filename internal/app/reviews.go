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
	Followups(ctx context.Context, n uint64, etag string) (postmortem.FollowupsState, error)
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
	// metaFollowupsETag keeps the last ETag of the follow-up issues' list.
	metaFollowupsETag = "followups_etag"
)

// startReviewPolls polls reviews and follow-ups every ReviewPollEvery until ctx ends; the
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
			if _, err := a.PollFollowups(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("polling follow-up issues", zap.Error(err))
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

// errUnchanged ends a transaction that would record nothing.
var errUnchanged = errors.New("nothing changed")

// PollFollowups asks GitHub, with one conditional request per closed
// incident (declared within incident.FollowupHorizon) that has open
// follow-ups filed as issues, which of them are closed, and records each
// follow-up seen done or open again on the incident's timeline. The
// ETag is kept beside the incident, so polls after a restart stay
// conditional; an unchanged list is answered 304 and costs no rate limit.
// It returns how many incidents it updated.
func (a *App) PollFollowups(ctx context.Context) (int, error) {
	if a.github == nil && a.githubPrivate == nil {
		return 0, nil
	}
	closed, err := a.DB.RecentClosed(a.now().Add(-incident.FollowupHorizon))
	if err != nil {
		return 0, err
	}
	var errs []error
	updated := 0
	for _, inc := range closed {
		if open, _ := inc.FollowupsOpen(a.now()); open == 0 {
			continue
		}
		gh, _, ok := a.reviewIssue(inc.PostmortemURL)
		if !ok {
			continue // not filed on GitHub, or not yet
		}
		etag, err := a.DB.Meta(inc.Number, metaFollowupsETag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st, err := gh.Followups(ctx, inc.Number, etag)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if st.NotModified {
			continue
		}
		_, err = a.DB.Apply(inc.Number, func(cur incident.Incident) (incident.Result, error) {
			res, changed := incident.RecordFollowupIssues(cur, st.Issues, a.now())
			if !changed {
				return res, errUnchanged
			}
			return res, nil
		})
		switch {
		case errors.Is(err, errUnchanged):
		case err != nil:
			errs = append(errs, err)
			continue
		default:
			updated++
			a.log.Info("follow-up issues changed", zap.String("incident", inc.ID()))
		}
		// The ETag is kept only once what it stands for is recorded.
		if st.ETag != "" && st.ETag != etag {
			if err := a.DB.SetMeta(inc.Number, metaFollowupsETag, st.ETag); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return updated, errors.Join(errs...)
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
