"""The sandbox provider: MoneyKit's test institutions, simulated entirely in-process."""
