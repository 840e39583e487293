import type { InteractionStore, DownvotedRow, RateRow, SourceCount } from '../store/interactionStore.ts';
import { groupNearDuplicates, type GapGroup } from './gaps.ts';
import type { InsightsFilter } from './types.ts';

/** Questions answered with confidence under MIN_CONFIDENCE + this count as coverage gaps too. */
export const LOW_CONFIDENCE_MARGIN = 0.1;
/** Gap questions read per report (newest first): the grouping is quadratic in wordings. */
const GAP_ROWS = 3000;

export interface InsightsReport {
  filter: InsightsFilter;
  gaps: GapGroup[];
  downvoted: DownvotedRow[];
  topSources: SourceCount[];
  perDay: RateRow[];
  perPlatform: RateRow[];
  facets: { platforms: string[]; collections: string[] };
}

/** What the admin page shows, computed from the interactions table for one filter. */
export class InsightsService {
  constructor(
    private readonly store: InteractionStore,
    private readonly o: { minConfidence: number; retentionDays: number },
  ) {}

  async report(filter: InsightsFilter): Promise<InsightsReport> {
    const low = this.o.minConfidence + LOW_CONFIDENCE_MARGIN;
    const [candidates, downvoted, topSources, perDay, perPlatform, facets] = await Promise.all([
      this.store.gapCandidates(filter, low, GAP_ROWS),
      this.store.downvoted(filter, 50),
      this.store.topSources(filter, 15),
      this.store.perDay(filter),
      this.store.perPlatform(filter),
      this.store.facets(this.o.retentionDays),
    ]);
    const gaps = groupNearDuplicates(candidates.map((c) => ({ text: c.standalone_question || c.question, refused: c.outcome === 'refused', at: new Date(c.created_at) }))).slice(0, 50);
    return { filter, gaps, downvoted, topSources, perDay, perPlatform, facets };
  }
}
