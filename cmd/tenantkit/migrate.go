package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tenantkit/tenantkit/internal/logging"
	"github.com/tenantkit/tenantkit/store/schema"
)

func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	if help, err := parseFlags(fs, args, stderr, true); help || err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if cfg.OwnerDatabaseURL == "" {
		return errors.New("OWNER_DATABASE_URL is required: migrations run as the owner role, never as the app role")
	}
	logger, err := logging.New(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	return schema.Migrate(ctx, cfg.OwnerDatabaseURL, logger)
}

func runBootstrap(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bootstrap", flag.ContinueOnError)
	adminURL := fs.String("admin-url", "", "connection string of a superuser (or a role with CREATEROLE and CREATEDB); default $ADMIN_DATABASE_URL")
	database := fs.String("database", "tenantkit", "database to create, owned by "+schema.OwnerRole)
	if help, err := parseFlags(fs, args, stderr, false); help || err != nil {
		if help {
			fmt.Fprintln(stderr, "\nPasswords come from OWNER_PASSWORD, APP_PASSWORD, PLATFORM_PASSWORD and JOBS_PASSWORD; an empty one leaves the role's password unchanged.")
		}
		return err
	}
	if *adminURL == "" {
		*adminURL = getenv("ADMIN_DATABASE_URL")
	}
	if *adminURL == "" {
		return errors.New("bootstrap needs -admin-url or ADMIN_DATABASE_URL")
	}
	err := schema.Bootstrap(ctx, *adminURL, schema.BootstrapOptions{
		Database:         *database,
		OwnerPassword:    getenv("OWNER_PASSWORD"),
		AppPassword:      getenv("APP_PASSWORD"),
		PlatformPassword: getenv("PLATFORM_PASSWORD"),
		JobsPassword:     getenv("JOBS_PASSWORD"),
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "roles %s, %s, %s, %s and database %s are ready\n", schema.OwnerRole, schema.AppRole, schema.PlatformRole, schema.JobsRole, *database)
	return nil
}
