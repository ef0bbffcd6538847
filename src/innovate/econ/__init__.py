"""Economics layer: prices and price years, unit costs, bottom-up costing, cost-effectiveness."""
