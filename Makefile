# Conveniences for those who have make; `./run` (bash only) is the real entry point.
.PHONY: demo test bench setup clean

demo:
	./run demo

test:
	./run test

bench:
	./run bench

setup:
	./run setup

clean:
	rm -rf .venv var artifacts
