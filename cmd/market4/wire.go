package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"

	"github.com/market4/market4/internal/app"
	"github.com/market4/market4/internal/httpapi"
	"github.com/market4/market4/internal/provider/mockbank"
	"github.com/market4/market4/internal/provider/mockwallet"
	"github.com/market4/market4/internal/store"
	"github.com/market4/market4/internal/web"
	"github.com/market4/market4/internal/web/dashboard"
)

// product is one wired instance: the service, its HTTP handler, and what
// must be stopped with it.
type product struct {
	svc     *app.Service
	handler http.Handler
	bank    *mockbank.Bank // in-process simulator (demo), or nil
	closers []func()
}

func (p *product) Close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// wireOptions choose between production wiring and the demo's.
type wireOptions struct {
	// InProcessBank mounts the mock bank (and e-wallet) at /mockbank and
	// /mockwallet in this process, delivering webhooks to cfg.PublicURL.
	InProcessBank bool
	// BankBackoff shortens the simulator's retry backoff (tests).
	BankBackoff time.Duration
}

// wire builds the product from a config and an open store. Only cmd/ knows
// the concrete adapters; everything else depends on interfaces.
func wire(ctx context.Context, cfg config, st *store.Store, log *slog.Logger, opt wireOptions) (*product, error) {
	svc := newService(cfg, st, log)
	if err := configureOCOP(ctx, svc, log); err != nil {
		return nil, err
	}
	p := &product{svc: svc}
	mux := http.NewServeMux()
	bankURL := cfg.MockbankURL
	if opt.InProcessBank {
		if cfg.MockbankSecret == "" {
			cfg.MockbankSecret = randomSecret()
		}
		bank := mockbank.New(mockbank.Config{Secret: cfg.MockbankSecret, PlatformURL: cfg.PublicURL, Logger: log, Backoff: opt.BankBackoff})
		p.bank = bank
		p.closers = append(p.closers, bank.Close)
		mux.Handle("/mockbank/", bank.Handler())
		bankURL = cfg.PublicURL
		wallet := mockwallet.New(mockwallet.Config{PublicURL: cfg.PublicURL, Logger: log, Backoff: opt.BankBackoff})
		p.closers = append(p.closers, wallet.Close)
		mux.Handle("/mockwallet/", wallet.Handler())
		svc.UseProvider(mockwallet.NewProvider(mockwallet.DevProviderConfig(cfg.PublicURL)))
	} else if cfg.MockwalletURL != "" {
		svc.UseProvider(mockwallet.NewProvider(mockwallet.ProviderConfig{PartnerCode: cfg.MockwalletPartner,
			AccessKey: cfg.MockwalletAccessKey, SecretKey: cfg.MockwalletSecretKey, BaseURL: cfg.MockwalletURL}))
	}
	if cfg.MockbankSecret != "" && bankURL != "" {
		svc.UseProvider(mockbank.NewProvider(mockbank.ProviderConfig{Secret: cfg.MockbankSecret, BaseURL: bankURL}))
	}
	dash, stopTransparency, err := wireTransparency(svc, cfg, log, opt.InProcessBank)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, stopTransparency)
	for _, pfx := range dashboard.Prefixes {
		mux.Handle(pfx, dash)
	}
	mux.Handle("/", web.New(web.Options{Service: svc, PublicURL: cfg.PublicURL, Logger: log}))
	p.handler = httpapi.New(svc, httpapi.Options{Logger: log, MaxBodyBytes: cfg.MaxBodyBytes, OpenAPI: httpapi.Spec, Fallback: mux,
		TrustedProxies: cfg.TrustedProxies})
	bg, cancel := context.WithCancel(context.Background())
	p.closers = append(p.closers, cancel)
	go svc.RunBackground(bg, 5*time.Second)
	return p, nil
}

func randomSecret() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
