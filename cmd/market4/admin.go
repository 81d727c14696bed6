package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/errs"
	"github.com/market4/market4/internal/market"
	"github.com/market4/market4/internal/store"
)

func cmdMigrate(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{"usage: market4 migrate up|down|status"}
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "up":
		n, err := st.MigrateUp(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migrations\n", n)
	case "down":
		if err := st.MigrateDown(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "rolled back one migration")
	case "status":
		ms, err := st.Migrations(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(stdout, "%05d  %-8s %s\n", m.Version, state, m.Source)
		}
	default:
		return usageError{"usage: market4 migrate up|down|status"}
	}
	return nil
}

func cmdUsers(ctx context.Context, cfg config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"usage: market4 users create --role admin|staff|vendor --phone P --name N [--district ID]"}
	}
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	role := fs.String("role", "", "admin, staff or vendor")
	phone := fs.String("phone", "", "Vietnamese mobile number")
	name := fs.String("name", "", "display name")
	district := fs.String("district", "", "district id (staff only)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	pw := os.Getenv("MARKET4_PASSWORD")
	if pw == "" {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := newService(cfg, st, log).CreateUser(ctx, app.CreateUserInput{Phone: *phone, Password: pw, Name: *name,
		Role: market.Role(*role), DistrictID: *district})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "created %s %s (%s) id=%s\n", u.Role, u.Name, u.Phone, u.ID)
	return nil
}

func cmdImport(ctx context.Context, cfg config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "stalls" {
		return usageError{"usage: market4 import stalls --market ID FILE.csv"}
	}
	fs := flag.NewFlagSet("import stalls", flag.ContinueOnError)
	marketID := fs.String("market", "", "market id")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 || *marketID == "" {
		return usageError{"usage: market4 import stalls --market ID FILE.csv"}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := openStore(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer st.Close()
	// The operator at the console acts as an administrator.
	res, err := newService(cfg, st, log).ImportStalls(ctx, market.Actor{Role: market.RoleAdmin}, *marketID, f, func(n int) {
		fmt.Fprintf(stderr, "\r%d rows…", n)
	})
	fmt.Fprintln(stderr)
	if res != nil {
		for _, e := range res.Errors {
			fmt.Fprintf(stderr, "line %d: %s: %s\n", e.Line, e.Field, e.Message)
		}
	}
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "imported %d stalls\n", res.Created)
	return nil
}

// describe renders an application error for a terminal.
func describe(err error) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Code != errs.Internal {
		msg := e.Message
		for _, f := range e.Fields {
			if !strings.HasPrefix(f.Field, "line[") {
				msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Message)
			}
		}
		return errors.New(msg)
	}
	return err
}
