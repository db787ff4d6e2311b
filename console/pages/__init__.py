"""Console pages. Each module has `router = APIRouter()`; console.app.GUARDED_PAGES lists them."""
