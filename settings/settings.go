// Package settings holds a tenant's settings: organization, booking,
// security and communication. Each kind is a singleton: at most one row per
// tenant, whose NULL columns inherit the platform default (one row no
// tenant can write). The effective value of a field is the tenant's, else
// the default's.
//
// Writes replace the tenant's overrides of one kind as a whole (a null
// field goes back to the default), guarded by the kind's version: a writer
// that read an older version is refused with CodePreconditionFailed.
//
// Each method checks the role it needs itself: staff read the settings, an
// admin changes, exports or imports them.
package settings

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/mailaddr"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Organization are the effective organization settings.
type Organization struct {
	DisplayName  string `json:"display_name"`
	TimeZone     string `json:"time_zone"`
	Locale       string `json:"locale"`
	Currency     string `json:"currency"`
	WeekStartsOn int32  `json:"week_starts_on" doc:"ISO weekday: 1 Monday … 7 Sunday."`
	ContactEmail string `json:"contact_email"`
	ContactPhone string `json:"contact_phone"`
}

// OrganizationOverrides are the tenant's own organization settings; nil
// inherits the default.
type OrganizationOverrides struct {
	DisplayName  *string `json:"display_name" required:"false" nullable:"true" maxLength:"200"`
	TimeZone     *string `json:"time_zone" required:"false" nullable:"true" maxLength:"64" doc:"An IANA time zone, such as America/New_York."`
	Locale       *string `json:"locale" required:"false" nullable:"true" maxLength:"35"`
	Currency     *string `json:"currency" required:"false" nullable:"true" pattern:"^[A-Z]{3}$"`
	WeekStartsOn *int16  `json:"week_starts_on" required:"false" nullable:"true" minimum:"1" maximum:"7"`
	ContactEmail *string `json:"contact_email" required:"false" nullable:"true" maxLength:"254"`
	ContactPhone *string `json:"contact_phone" required:"false" nullable:"true" maxLength:"40"`
}

// Booking are the effective booking settings.
type Booking struct {
	LeadTimeMinutes           int32 `json:"lead_time_minutes" doc:"How far ahead of its start a slot can still be booked."`
	BufferMinutes             int32 `json:"buffer_minutes" doc:"Free time kept after each booking."`
	CancellationNoticeMinutes int32 `json:"cancellation_notice_minutes" doc:"Clients cannot cancel later than this before the start."`
	RescheduleNoticeMinutes   int32 `json:"reschedule_notice_minutes" doc:"Clients cannot reschedule later than this before the start."`
	MaxAdvanceDays            int32 `json:"max_advance_days"`
	SlotIntervalMinutes       int32 `json:"slot_interval_minutes"`
}

// BookingOverrides are the tenant's own booking settings.
type BookingOverrides struct {
	LeadTimeMinutes           *int32 `json:"lead_time_minutes" required:"false" nullable:"true" minimum:"0" maximum:"525600"`
	BufferMinutes             *int32 `json:"buffer_minutes" required:"false" nullable:"true" minimum:"0" maximum:"1440"`
	CancellationNoticeMinutes *int32 `json:"cancellation_notice_minutes" required:"false" nullable:"true" minimum:"0" maximum:"525600"`
	RescheduleNoticeMinutes   *int32 `json:"reschedule_notice_minutes" required:"false" nullable:"true" minimum:"0" maximum:"525600"`
	MaxAdvanceDays            *int32 `json:"max_advance_days" required:"false" nullable:"true" minimum:"1" maximum:"730"`
	SlotIntervalMinutes       *int32 `json:"slot_interval_minutes" required:"false" nullable:"true" minimum:"5" maximum:"240"`
}

// Security are the effective security settings.
type Security struct {
	SessionLifetimeMinutes int32    `json:"session_lifetime_minutes"`
	IdleTimeoutMinutes     int32    `json:"idle_timeout_minutes"`
	PasswordMinLength      int32    `json:"password_min_length"`
	AllowedEmailDomains    []string `json:"allowed_email_domains" doc:"Invitations are limited to these domains; empty allows any."`
}

// SecurityOverrides are the tenant's own security settings.
type SecurityOverrides struct {
	SessionLifetimeMinutes *int32    `json:"session_lifetime_minutes" required:"false" nullable:"true" minimum:"5" maximum:"43200"`
	IdleTimeoutMinutes     *int32    `json:"idle_timeout_minutes" required:"false" nullable:"true" minimum:"5" maximum:"43200"`
	PasswordMinLength      *int32    `json:"password_min_length" required:"false" nullable:"true" minimum:"12" maximum:"128"`
	AllowedEmailDomains    *[]string `json:"allowed_email_domains" required:"false" nullable:"true" maxItems:"50"`
}

// Communication are the effective communication settings.
type Communication struct {
	SenderName            string `json:"sender_name"`
	ReplyToEmail          string `json:"reply_to_email"`
	NotifyStaffOnRequest  bool   `json:"notify_staff_on_request"`
	NotifyClientOnBooking bool   `json:"notify_client_on_booking"`
	EmailFooter           string `json:"email_footer"`
}

// CommunicationOverrides are the tenant's own communication settings.
type CommunicationOverrides struct {
	SenderName            *string `json:"sender_name" required:"false" nullable:"true" maxLength:"200"`
	ReplyToEmail          *string `json:"reply_to_email" required:"false" nullable:"true" maxLength:"254"`
	NotifyStaffOnRequest  *bool   `json:"notify_staff_on_request" required:"false" nullable:"true"`
	NotifyClientOnBooking *bool   `json:"notify_client_on_booking" required:"false" nullable:"true"`
	EmailFooter           *string `json:"email_footer" required:"false" nullable:"true" maxLength:"2000"`
}

// Document is every kind's overrides, as exported and imported.
type Document struct {
	Organization  OrganizationOverrides  `json:"organization"`
	Booking       BookingOverrides       `json:"booking"`
	Security      SecurityOverrides      `json:"security"`
	Communication CommunicationOverrides `json:"communication"`
}

// Kind is one kind of settings: its effective value, the tenant's
// overrides and their version (0 before the tenant set any).
type Kind[E, O any] struct {
	Effective E
	Overrides O
	Version   int64
}

// Service reads and writes settings.
type Service struct {
	store *store.Store
}

// New returns a Service over st.
func New(st *store.Store) *Service { return &Service{store: st} }

var errStale = &tenant.Error{Code: tenant.CodePreconditionFailed, Message: "the settings changed since they were read; fetch them again and retry"}

var (
	localePattern   = regexp.MustCompile(`^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	domainPattern   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)
)

// fields collects field errors under a prefix ("body." or
// "body.organization.").
type fields struct {
	prefix string
	m      map[string]string
}

func (f fields) add(name, msg string) { f.m[f.prefix+name] = msg }

func (f fields) err(what string) error {
	if len(f.m) == 0 {
		return nil
	}
	return &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid " + what + " settings", Fields: f.m}
}

func (o OrganizationOverrides) validate(f fields) {
	if o.DisplayName != nil && (strings.TrimSpace(*o.DisplayName) == "" || len(*o.DisplayName) > 200) {
		f.add("display_name", "1 to 200 characters")
	}
	if o.TimeZone != nil {
		if _, err := time.LoadLocation(*o.TimeZone); err != nil || *o.TimeZone == "" || *o.TimeZone == "Local" || len(*o.TimeZone) > 64 {
			f.add("time_zone", "an IANA time zone, such as Europe/Paris")
		}
	}
	if o.Locale != nil && !localePattern.MatchString(*o.Locale) {
		f.add("locale", "a language tag such as en or en-GB")
	}
	if o.Currency != nil && !currencyPattern.MatchString(*o.Currency) {
		f.add("currency", "an ISO 4217 code such as EUR")
	}
	if o.WeekStartsOn != nil && (*o.WeekStartsOn < 1 || *o.WeekStartsOn > 7) {
		f.add("week_starts_on", "1 (Monday) to 7 (Sunday)")
	}
	if o.ContactEmail != nil && *o.ContactEmail != "" && !mailaddr.Valid(*o.ContactEmail) {
		f.add("contact_email", "an email address")
	}
	if o.ContactPhone != nil && len(*o.ContactPhone) > 40 {
		f.add("contact_phone", "at most 40 characters")
	}
}

func inRange(f fields, name string, v *int32, lo, hi int32) {
	if v != nil && (*v < lo || *v > hi) {
		f.add(name, fmt.Sprintf("%d to %d", lo, hi))
	}
}

func (o BookingOverrides) validate(f fields) {
	inRange(f, "lead_time_minutes", o.LeadTimeMinutes, 0, 525600)
	inRange(f, "buffer_minutes", o.BufferMinutes, 0, 1440)
	inRange(f, "cancellation_notice_minutes", o.CancellationNoticeMinutes, 0, 525600)
	inRange(f, "reschedule_notice_minutes", o.RescheduleNoticeMinutes, 0, 525600)
	inRange(f, "max_advance_days", o.MaxAdvanceDays, 1, 730)
	inRange(f, "slot_interval_minutes", o.SlotIntervalMinutes, 5, 240)
}

func (o SecurityOverrides) validate(f fields) {
	inRange(f, "session_lifetime_minutes", o.SessionLifetimeMinutes, 5, 43200)
	inRange(f, "idle_timeout_minutes", o.IdleTimeoutMinutes, 5, 43200)
	inRange(f, "password_min_length", o.PasswordMinLength, 12, 128)
	if o.AllowedEmailDomains != nil {
		if len(*o.AllowedEmailDomains) > 50 {
			f.add("allowed_email_domains", "at most 50 domains")
		}
		for _, d := range *o.AllowedEmailDomains {
			if !domainPattern.MatchString(d) {
				f.add("allowed_email_domains", fmt.Sprintf("%q is not a lower-case domain name", d))
			}
		}
	}
}

func (o CommunicationOverrides) validate(f fields) {
	if o.SenderName != nil && (strings.TrimSpace(*o.SenderName) == "" || len(*o.SenderName) > 200) {
		f.add("sender_name", "1 to 200 characters")
	}
	if o.ReplyToEmail != nil && *o.ReplyToEmail != "" && !mailaddr.Valid(*o.ReplyToEmail) {
		f.add("reply_to_email", "an email address")
	}
	if o.EmailFooter != nil && len(*o.EmailFooter) > 2000 {
		f.add("email_footer", "at most 2000 characters")
	}
}

// checkVersion returns errStale unless the upsert took the version moved
// on from ifVersion (a row created by someone else in between reads as
// stale too).
func checkVersion(got int64, err error, ifVersion *int64) error {
	if store.IsNotFound(err) {
		return errStale
	}
	if err != nil {
		return err
	}
	if ifVersion != nil && got != *ifVersion+1 {
		return errStale
	}
	return nil
}

// Organization returns the organization settings.
func (s *Service) Organization(ctx context.Context) (_ Kind[Organization, OrganizationOverrides], err error) {
	defer errs.Wrap(&err, "settings: organization")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Kind[Organization, OrganizationOverrides]{}, err
	}
	var k Kind[Organization, OrganizationOverrides]
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		e, err := tx.GetOrganizationSettings(ctx, tx.TenantID())
		if err != nil {
			return err
		}
		k.Effective = Organization{DisplayName: e.DisplayName, TimeZone: e.TimeZone, Locale: e.Locale, Currency: e.Currency,
			WeekStartsOn: e.WeekStartsOn, ContactEmail: e.ContactEmail, ContactPhone: e.ContactPhone}
		o, err := tx.GetOrganizationOverrides(ctx, tx.TenantID())
		if store.IsNotFound(err) {
			return nil
		}
		k.Overrides = OrganizationOverrides{DisplayName: o.DisplayName, TimeZone: o.TimeZone, Locale: o.Locale, Currency: o.Currency,
			WeekStartsOn: o.WeekStartsOn, ContactEmail: o.ContactEmail, ContactPhone: o.ContactPhone}
		k.Version = o.Version
		return err
	})
	return k, err
}

// SetOrganization replaces the organization overrides.
func (s *Service) SetOrganization(ctx context.Context, o OrganizationOverrides, ifVersion *int64) (err error) {
	defer errs.Wrap(&err, "settings: set organization")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	if err := validateOne("organization", o.validate); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error { return setOrganization(ctx, tx, o, ifVersion) })
}

func setOrganization(ctx context.Context, tx *store.Tx, o OrganizationOverrides, ifVersion *int64) error {
	v, err := tx.UpsertOrganizationSettings(ctx, store.UpsertOrganizationSettingsParams{
		TenantID: tx.TenantID(), DisplayName: o.DisplayName, TimeZone: o.TimeZone, Locale: o.Locale, Currency: o.Currency,
		WeekStartsOn: o.WeekStartsOn, ContactEmail: o.ContactEmail, ContactPhone: o.ContactPhone, ExpectedVersion: ifVersion,
	})
	if err := checkVersion(v, err, ifVersion); err != nil {
		return err
	}
	return tx.Audit(ctx, "settings.organization_changed", "settings", nil, nil)
}

// Booking returns the booking settings.
func (s *Service) Booking(ctx context.Context) (_ Kind[Booking, BookingOverrides], err error) {
	defer errs.Wrap(&err, "settings: booking")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Kind[Booking, BookingOverrides]{}, err
	}
	var k Kind[Booking, BookingOverrides]
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		e, err := tx.GetBookingSettings(ctx, tx.TenantID())
		if err != nil {
			return err
		}
		k.Effective = Booking{LeadTimeMinutes: e.LeadTimeMinutes, BufferMinutes: e.BufferMinutes,
			CancellationNoticeMinutes: e.CancellationNoticeMinutes, RescheduleNoticeMinutes: e.RescheduleNoticeMinutes,
			MaxAdvanceDays: e.MaxAdvanceDays, SlotIntervalMinutes: e.SlotIntervalMinutes}
		o, err := tx.GetBookingOverrides(ctx, tx.TenantID())
		if store.IsNotFound(err) {
			return nil
		}
		k.Overrides = BookingOverrides{LeadTimeMinutes: o.LeadTimeMinutes, BufferMinutes: o.BufferMinutes,
			CancellationNoticeMinutes: o.CancellationNoticeMinutes, RescheduleNoticeMinutes: o.RescheduleNoticeMinutes,
			MaxAdvanceDays: o.MaxAdvanceDays, SlotIntervalMinutes: o.SlotIntervalMinutes}
		k.Version = o.Version
		return err
	})
	return k, err
}

// SetBooking replaces the booking overrides. Existing bookings keep the
// notice terms they were made under.
func (s *Service) SetBooking(ctx context.Context, o BookingOverrides, ifVersion *int64) (err error) {
	defer errs.Wrap(&err, "settings: set booking")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	if err := validateOne("booking", o.validate); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error { return setBooking(ctx, tx, o, ifVersion) })
}

func setBooking(ctx context.Context, tx *store.Tx, o BookingOverrides, ifVersion *int64) error {
	v, err := tx.UpsertBookingSettings(ctx, store.UpsertBookingSettingsParams{
		TenantID: tx.TenantID(), LeadTimeMinutes: o.LeadTimeMinutes, BufferMinutes: o.BufferMinutes,
		CancellationNoticeMinutes: o.CancellationNoticeMinutes, RescheduleNoticeMinutes: o.RescheduleNoticeMinutes,
		MaxAdvanceDays: o.MaxAdvanceDays, SlotIntervalMinutes: o.SlotIntervalMinutes, ExpectedVersion: ifVersion,
	})
	if err := checkVersion(v, err, ifVersion); err != nil {
		return err
	}
	return tx.Audit(ctx, "settings.booking_changed", "settings", nil, nil)
}

// Security returns the security settings.
func (s *Service) Security(ctx context.Context) (_ Kind[Security, SecurityOverrides], err error) {
	defer errs.Wrap(&err, "settings: security")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Kind[Security, SecurityOverrides]{}, err
	}
	var k Kind[Security, SecurityOverrides]
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		e, err := tx.GetSecuritySettings(ctx, tx.TenantID())
		if err != nil {
			return err
		}
		k.Effective = Security{SessionLifetimeMinutes: e.SessionLifetimeMinutes, IdleTimeoutMinutes: e.IdleTimeoutMinutes,
			PasswordMinLength: e.PasswordMinLength, AllowedEmailDomains: nonNil(e.AllowedEmailDomains)}
		o, err := tx.GetSecurityOverrides(ctx, tx.TenantID())
		if store.IsNotFound(err) {
			return nil
		}
		k.Overrides = SecurityOverrides{SessionLifetimeMinutes: o.SessionLifetimeMinutes, IdleTimeoutMinutes: o.IdleTimeoutMinutes,
			PasswordMinLength: o.PasswordMinLength}
		if o.AllowedEmailDomains != nil {
			d := o.AllowedEmailDomains
			k.Overrides.AllowedEmailDomains = &d
		}
		k.Version = o.Version
		return err
	})
	return k, err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SetSecurity replaces the security overrides.
func (s *Service) SetSecurity(ctx context.Context, o SecurityOverrides, ifVersion *int64) (err error) {
	defer errs.Wrap(&err, "settings: set security")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	if err := validateOne("security", o.validate); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error { return setSecurity(ctx, tx, o, ifVersion) })
}

func setSecurity(ctx context.Context, tx *store.Tx, o SecurityOverrides, ifVersion *int64) error {
	var domains []string
	if o.AllowedEmailDomains != nil {
		domains = nonNil(*o.AllowedEmailDomains)
	}
	v, err := tx.UpsertSecuritySettings(ctx, store.UpsertSecuritySettingsParams{
		TenantID: tx.TenantID(), SessionLifetimeMinutes: o.SessionLifetimeMinutes, IdleTimeoutMinutes: o.IdleTimeoutMinutes,
		PasswordMinLength: o.PasswordMinLength, AllowedEmailDomains: domains, ExpectedVersion: ifVersion,
	})
	if err := checkVersion(v, err, ifVersion); err != nil {
		return err
	}
	return tx.Audit(ctx, "settings.security_changed", "settings", nil, nil)
}

// Communication returns the communication settings.
func (s *Service) Communication(ctx context.Context) (_ Kind[Communication, CommunicationOverrides], err error) {
	defer errs.Wrap(&err, "settings: communication")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Kind[Communication, CommunicationOverrides]{}, err
	}
	var k Kind[Communication, CommunicationOverrides]
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		e, err := tx.GetCommunicationSettings(ctx, tx.TenantID())
		if err != nil {
			return err
		}
		k.Effective = Communication{SenderName: e.SenderName, ReplyToEmail: e.ReplyToEmail, NotifyStaffOnRequest: e.NotifyStaffOnRequest,
			NotifyClientOnBooking: e.NotifyClientOnBooking, EmailFooter: e.EmailFooter}
		o, err := tx.GetCommunicationOverrides(ctx, tx.TenantID())
		if store.IsNotFound(err) {
			return nil
		}
		k.Overrides = CommunicationOverrides{SenderName: o.SenderName, ReplyToEmail: o.ReplyToEmail, NotifyStaffOnRequest: o.NotifyStaffOnRequest,
			NotifyClientOnBooking: o.NotifyClientOnBooking, EmailFooter: o.EmailFooter}
		k.Version = o.Version
		return err
	})
	return k, err
}

// SetCommunication replaces the communication overrides.
func (s *Service) SetCommunication(ctx context.Context, o CommunicationOverrides, ifVersion *int64) (err error) {
	defer errs.Wrap(&err, "settings: set communication")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	if err := validateOne("communication", o.validate); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error { return setCommunication(ctx, tx, o, ifVersion) })
}

func setCommunication(ctx context.Context, tx *store.Tx, o CommunicationOverrides, ifVersion *int64) error {
	v, err := tx.UpsertCommunicationSettings(ctx, store.UpsertCommunicationSettingsParams{
		TenantID: tx.TenantID(), SenderName: o.SenderName, ReplyToEmail: o.ReplyToEmail, NotifyStaffOnRequest: o.NotifyStaffOnRequest,
		NotifyClientOnBooking: o.NotifyClientOnBooking, EmailFooter: o.EmailFooter, ExpectedVersion: ifVersion,
	})
	if err := checkVersion(v, err, ifVersion); err != nil {
		return err
	}
	return tx.Audit(ctx, "settings.communication_changed", "settings", nil, nil)
}

func validateOne(kind string, validate func(fields)) error {
	f := fields{prefix: "body.", m: map[string]string{}}
	validate(f)
	return f.err(kind)
}

// Export returns every kind's overrides.
func (s *Service) Export(ctx context.Context) (_ Document, err error) {
	defer errs.Wrap(&err, "settings: export")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return Document{}, err
	}
	var d Document
	o, err := s.Organization(ctx)
	if err != nil {
		return d, err
	}
	b, err := s.Booking(ctx)
	if err != nil {
		return d, err
	}
	sec, err := s.Security(ctx)
	if err != nil {
		return d, err
	}
	c, err := s.Communication(ctx)
	if err != nil {
		return d, err
	}
	return Document{Organization: o.Overrides, Booking: b.Overrides, Security: sec.Overrides, Communication: c.Overrides}, nil
}

// Import replaces every kind's overrides with d's: the whole document is
// validated first, and written in one transaction, so a bad field anywhere
// changes nothing.
func (s *Service) Import(ctx context.Context, d Document) (err error) {
	defer errs.Wrap(&err, "settings: import")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	f := fields{prefix: "body.organization.", m: map[string]string{}}
	d.Organization.validate(f)
	f.prefix = "body.booking."
	d.Booking.validate(f)
	f.prefix = "body.security."
	d.Security.validate(f)
	f.prefix = "body.communication."
	d.Communication.validate(f)
	if err := f.err("imported"); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		for _, set := range []func() error{
			func() error { return setOrganization(ctx, tx, d.Organization, nil) },
			func() error { return setBooking(ctx, tx, d.Booking, nil) },
			func() error { return setSecurity(ctx, tx, d.Security, nil) },
			func() error { return setCommunication(ctx, tx, d.Communication, nil) },
		} {
			if err := set(); err != nil {
				return err
			}
		}
		return tx.Audit(ctx, "settings.imported", "settings", nil, nil)
	})
}

// Workspace is what every page of a tenant shows: the organization's name,
// its zone, week start and currency, and the zone its viewer reads times in.
type Workspace struct {
	Name         string
	Zone         *time.Location
	WeekStartsOn int // ISO: 1 Monday … 7 Sunday
	Currency     string
	// Viewer is the member's own zone when set and known, else Zone.
	Viewer *time.Location
}

// Workspace returns the scope's workspace, in one statement. Any member
// may read it.
func (s *Service) Workspace(ctx context.Context) (_ Workspace, err error) {
	defer errs.Wrap(&err, "settings: workspace")
	sc, err := tenant.Require(ctx, tenant.RoleClient)
	if err != nil {
		return Workspace{}, err
	}
	var row store.GetWorkspaceRow
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) (err error) {
		p := store.GetWorkspaceParams{TenantID: tx.TenantID()}
		if sc.MemberID != uuid.Nil {
			p.MemberID = &sc.MemberID
		}
		row, err = tx.GetWorkspace(ctx, p)
		return err
	})
	if err != nil {
		return Workspace{}, err
	}
	w := Workspace{Name: row.DisplayName, WeekStartsOn: int(row.WeekStartsOn), Currency: row.Currency, Zone: time.UTC}
	if loc, err := time.LoadLocation(row.TimeZone); err == nil {
		w.Zone = loc
	}
	w.Viewer = w.Zone
	if row.MemberTimeZone != nil && *row.MemberTimeZone != "" {
		if loc, err := time.LoadLocation(*row.MemberTimeZone); err == nil {
			w.Viewer = loc
		}
	}
	return w, nil
}
