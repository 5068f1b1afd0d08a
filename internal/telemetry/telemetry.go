// Package telemetry sets up tenantkit's OpenTelemetry tracing: a tracer
// provider that exports over OTLP when an endpoint is configured, and a
// span processor that stamps every span started in a tenant's scope with
// the tenant, account and request ids, so no span of a request lacks its
// tenant (the request's root span gets them when the request is bound).
package telemetry

import (
	"context"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/tenant"
)

// Attribute keys.
const (
	TenantID  = attribute.Key("tenant.id")
	AccountID = attribute.Key("tenantkit.account.id")
	RequestID = attribute.Key("tenantkit.request.id")
)

// ScopeAttributes returns the attributes of the scope in ctx, if any.
func ScopeAttributes(ctx context.Context) []attribute.KeyValue {
	var out []attribute.KeyValue
	if s, ok := tenant.ScopeFrom(ctx); ok {
		out = append(out, TenantID.String(s.TenantID.String()))
		if s.AccountID != uuid.Nil {
			out = append(out, AccountID.String(s.AccountID.String()))
		}
	}
	if id := tenant.RequestIDFrom(ctx); id != "" {
		out = append(out, RequestID.String(id))
	}
	return out
}

// TagSpan sets the scope's attributes on the span of ctx.
func TagSpan(ctx context.Context) {
	if attrs := ScopeAttributes(ctx); len(attrs) > 0 {
		trace.SpanFromContext(ctx).SetAttributes(attrs...)
	}
}

// scopeProcessor stamps spans with the scope they start in.
type scopeProcessor struct{}

func (scopeProcessor) OnStart(parent context.Context, s sdktrace.ReadWriteSpan) {
	if attrs := ScopeAttributes(parent); len(attrs) > 0 {
		s.SetAttributes(attrs...)
	}
}
func (scopeProcessor) OnEnd(sdktrace.ReadOnlySpan)      {}
func (scopeProcessor) Shutdown(context.Context) error   { return nil }
func (scopeProcessor) ForceFlush(context.Context) error { return nil }

// NewProvider returns a tracer provider whose spans carry their scope, with
// the given span processors (exporters). The caller shuts it down.
func NewProvider(service, version string, processors ...sdktrace.SpanProcessor) *sdktrace.TracerProvider {
	opts := []sdktrace.TracerProviderOption{
		sdktrace.WithSpanProcessor(scopeProcessor{}),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service), semconv.ServiceVersion(version))),
	}
	for _, p := range processors {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	return sdktrace.NewTracerProvider(opts...)
}

// FromEnvironment returns a provider exporting over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
// set, and nil when tracing is not configured.
func FromEnvironment(ctx context.Context, getenv func(string) string, service, version string) (*sdktrace.TracerProvider, error) {
	if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return nil, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	return NewProvider(service, version, sdktrace.NewBatchSpanProcessor(exp)), nil
}
