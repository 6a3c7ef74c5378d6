# The two commands that work on a fresh machine: `make up` and `make test`.
.PHONY: up test demo bench bootstrap build-aws deploy test-deploy openapi

up:        ## build, then run the whole system locally with demo data (Ctrl-C stops it)
	scripts/up.sh $(ARGS)

test:      ## every test: unit, template checks, end-to-end on the local platform
	scripts/test.sh

demo:      ## second command: load the classifieds demo data into the running stack (ARGS=remove-demo removes it)
	scripts/demo.sh $(ARGS)

bench:     ## cold start, peak RSS and arm64 zip size (release builds; slow)
	scripts/bench.sh

bootstrap: ## install the pinned Python tools into .venv
	scripts/bootstrap.sh --dev

build-aws: ## sam build with the pinned tools (cargo lambda, arm64); ARGS=<FunctionLogicalId> builds one
	scripts/sam.sh build $(ARGS)

deploy:    ## sam build, then sam deploy (ARGS=--guided the first time)
	scripts/sam.sh build
	scripts/sam.sh deploy $(ARGS)

test-deploy: ## the README's deploy build for one function (slow: release arm64, fat LTO)
	scripts/test-deploy.sh $(ARGS)

openapi:   ## write docs/openapi/<api>.json from the code (the tests fail while a committed one differs)
	cargo run -q -p andes-openapi -- write
